// The floor a token vendor cannot go below: import the two unavoidable dependencies, make one
// GetParametersByPath against the same SSM fake, and mint one token. With `limits`, the floor of a
// fleet-limited one: the DynamoDB client imported as well and the two counts written before the mint.
const limits = process.argv[2] === "limits";
const started = performance.now();
const { SSMClient, GetParametersByPathCommand } = await import("@aws-sdk/client-ssm");
const { getToken } = await import("@aws/bedrock-token-generator");
const dynamodb = limits ? await import("@aws-sdk/client-dynamodb") : undefined;
const imported = performance.now();
const ssm = new SSMClient({});
const page = await ssm.send(new GetParametersByPathCommand({ Path: "/mantle-vend/keys", Recursive: true, WithDecryption: true }));
if (dynamodb !== undefined) {
  const client = new dynamodb.DynamoDBClient({});
  for (const pk of ["rate#baseline", "day#baseline"]) {
    await client.send(
      new dynamodb.UpdateItemCommand({
        TableName: process.env.MANTLE_VEND_LIMITS_TABLE,
        Key: { pk: { S: pk }, sk: { S: String(Date.now()) } },
        UpdateExpression: "ADD #count :one",
        ExpressionAttributeNames: { "#count": "count" },
        ExpressionAttributeValues: { ":one": { N: "1" } },
        ReturnValues: "UPDATED_NEW",
      }),
    );
  }
}
const loaded = performance.now();
const token = await getToken({
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
  region: "us-east-1",
  expiresInSeconds: 3600,
});
const minted = performance.now();
if ((page.Parameters ?? []).length === 0 || !token.startsWith("bedrock-api-key-")) {
  process.stderr.write("baseline failed: no keys or no token\n");
  process.exit(1);
}
const timings = { bootMs: started, importMs: imported - started, ssmMs: loaded - imported, tokenMs: minted - loaded };
process.stdout.write(`\n@@cold ${JSON.stringify(timings)}\n`);
process.exit(0);
