/**
 * What docs/identity.md's recipes run against, offline: a stand-in for each platform — its issuer
 * (discovery and keys, on loopback), and the endpoint a workload gets its token from there: GitHub
 * Actions' token service, a projected service-account token file, the GCE metadata server, Azure IMDS.
 * The suite plays the platform as a runner, a kubelet or a cloud would: it sets the variables they
 * set, and stands in for the addresses the recipes name.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import { sendJson, startStub, type Stub } from "../support/client-support.js";

export interface Platforms {
  /** Text of the recipes → its stand-in (issuer and key addresses, the token file's path). */
  replacements: Array<[string, string]>;
  /** What the platforms set for a workload (ACTIONS_ID_TOKEN_REQUEST_URL, GCE_METADATA_HOST, …). */
  env: Record<string, string>;
  close(): Promise<void>;
}

const AZURE_TENANT = "00000000-0000-0000-0000-000000000000";

export async function startPlatforms(scratch: string): Promise<Platforms> {
  const github = await TestIssuer.start();
  const eks = await TestIssuer.start();
  const google = await TestIssuer.start();
  const azure = await TestIssuer.start({ path: `/${AZURE_TENANT}` });
  const stubs: Stub[] = [];

  // GitHub's token service: the runner's request token, an audience in the query, the job's claims.
  stubs.push(
    await startStub(async (req, res) => {
      if (req.headers.authorization !== "bearer docs-runner-request-token") return sendJson(res, 401, { message: "Bad credentials" });
      const audience = new URL(req.url, "http://127.0.0.1").searchParams.get("audience") ?? "";
      const claims = { aud: audience, sub: "repo:acme/widgets:ref:refs/heads/main", repository: "acme/widgets", repository_owner: "acme", ref: "refs/heads/main" };
      sendJson(res, 200, { value: await github.sign(claims, { lifetimeSeconds: 300 }) });
    }),
  );
  // The GCE metadata server: Metadata-Flavor, the audience, format=full (the email claim).
  stubs.push(
    await startStub(async (req, res) => {
      if (req.headers["metadata-flavor"] !== "Google") return void res.writeHead(403).end();
      const audience = new URL(req.url, "http://127.0.0.1").searchParams.get("audience") ?? "";
      const token = await google.sign({ aud: audience, sub: "107517467455664443765", email: "ci-runner@acme-prod.iam.gserviceaccount.com", email_verified: true }, { lifetimeSeconds: 3600 });
      res.writeHead(200, { "content-type": "text/html" }).end(token);
    }),
  );
  // Azure IMDS: Metadata: true, the resource; a v1 token whose issuer ends in a slash.
  stubs.push(
    await startStub(async (req, res) => {
      if (req.headers["metadata"] !== "true") return sendJson(res, 400, { error: "invalid_request" });
      const resource = new URL(req.url, "http://127.0.0.1").searchParams.get("resource") ?? "";
      const token = await azure.sign({ iss: `${azure.url}/`, aud: resource, sub: "11111111-2222-3333-4444-555555555555", oid: "11111111-2222-3333-4444-555555555555", tid: AZURE_TENANT }, { lifetimeSeconds: 3600 });
      sendJson(res, 200, { access_token: token, token_type: "Bearer", expires_in: "3599", resource });
    }),
  );
  const [tokenService, metadata, imds] = stubs as [Stub, Stub, Stub];
  // The kubelet's projected token.
  const tokenFile = join(scratch, "projected-token");
  const podClaims = { aud: ["mantle-vend"], sub: "system:serviceaccount:ci:runner", "kubernetes.io": { namespace: "ci", serviceaccount: { name: "runner", uid: "5f0c1d2e" }, pod: { name: "evals", uid: "9a8b7c6d" } } };
  writeFileSync(tokenFile, `${await eks.sign(podClaims, { lifetimeSeconds: 3600 })}\n`);

  return {
    replacements: [
      ["https://token.actions.githubusercontent.com", github.url],
      ["https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", eks.url],
      ["https://accounts.google.com", google.url],
      [`https://login.microsoftonline.com/${AZURE_TENANT}/discovery/keys`, azure.jwksUri],
      [`https://sts.windows.net/${AZURE_TENANT}/`, `${azure.url}/`],
      ["/var/run/secrets/mantle-vend/token", tokenFile],
    ],
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${tokenService.url}/_apis/pipelines/1/runs/2/idtoken?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "docs-runner-request-token",
      GCE_METADATA_HOST: new URL(metadata.url).host,
      MANTLE_VEND_AZURE_IMDS_URL: imds.url,
    },
    async close() {
      for (const stub of stubs) await stub.close();
      for (const issuer of [github, eks, google, azure]) await issuer.close();
    },
  };
}
