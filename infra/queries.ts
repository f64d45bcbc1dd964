import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/**
 * Saved Logs Insights queries over the API's request log (one JSON line per request: principal,
 * route, region, status, reason of a refusal, latency). Logs Insights picks the time range when a
 * query runs; the names say the range each is meant for.
 */
export class VendorQueries extends Construct {
  public readonly tokensByPrincipal: logs.QueryDefinition;
  public readonly refusalsByPrincipal: logs.QueryDefinition;
  public readonly requestsOfPrincipal: logs.QueryDefinition;

  constructor(scope: Construct, id: string, props: { apiLogGroup: logs.ILogGroup }) {
    super(scope, id);
    const logGroups = [props.apiLogGroup];
    this.tokensByPrincipal = new logs.QueryDefinition(this, "TokensByPrincipal", {
      queryDefinitionName: "mantle-vend/tokens by principal (last 24 h)",
      logGroups,
      queryString: new logs.QueryString({
        filterStatements: ['message = "request"', 'route = "tokens"', "status = 200"],
        statsStatements: ["count(*) as tokens by principal, keyName"],
        sort: "tokens desc",
      }),
    });
    this.refusalsByPrincipal = new logs.QueryDefinition(this, "RefusalsByPrincipal", {
      queryDefinitionName: "mantle-vend/refusals by principal and reason",
      logGroups,
      queryString: new logs.QueryString({
        filterStatements: ['message = "request"', "ispresent(reason)"],
        statsStatements: ["count(*) as refusals by principal, reason"],
        sort: "refusals desc",
      }),
    });
    this.requestsOfPrincipal = new logs.QueryDefinition(this, "RequestsOfPrincipal", {
      queryDefinitionName: "mantle-vend/every request of one principal (edit the principal)",
      logGroups,
      queryString: new logs.QueryString({
        fields: ["@timestamp", "requestId", "route", "region", "ttlSeconds", "status", "reason", "latencyMs"],
        filterStatements: ['message = "request"', 'principal = "key:0123456789abcdef"'],
        sort: "@timestamp desc",
      }),
    });
  }
}
