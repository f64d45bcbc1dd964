// A wire-level fake of STS AssumeRole (AWS Query protocol: form-encoded POST, XML answer),
// so attribution mode runs the real @aws-sdk/client-sts. It issues fixed session
// credentials the Mantle emulator can be told about, with an expiry the test chooses.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmulatorCredentials } from "../../lambda/local/mantle-emulator.js";

export interface AssumeRoleCall {
  RoleArn?: string;
  RoleSessionName?: string;
  SourceIdentity?: string;
  DurationSeconds?: string;
  Policy?: string;
  /** The session tags, by key. */
  Tags: Record<string, string>;
}

/** AssumeRole refuses a longer plaintext session policy (AWS STS API reference, AssumeRole `Policy`). */
const POLICY_MAX_CHARS = 2048;

export type StsFault = "throttle" | "5xx" | "access-denied";

export class StsFake {
  /** Every AssumeRole call, with its parameters. */
  readonly calls: AssumeRoleCall[] = [];
  /** The credentials every session gets; the emulator must know them to accept tokens. */
  readonly credentials: EmulatorCredentials = {
    accessKeyId: "ASIAMANTLEVENDSESSION",
    secretAccessKey: "stsFakeSessionSecretKey000000000000000000",
    sessionToken: "FwoGZXIvYXdzEFakeSessionTokenForMantleVendTests",
  };
  private sessionSeconds = 3600;
  private fault: StsFault | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly now: () => number,
  ) {}

  static async start(options: { now?: () => number } = {}): Promise<StsFake> {
    let fake: StsFake | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const answer = fake?.answer(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
        response.writeHead(answer?.status ?? 500, { "content-type": "text/xml" }).end(answer?.body ?? "");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake = new StsFake(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, options.now ?? Date.now);
    return fake;
  }

  /** How long the next sessions last, from the fake's clock. */
  setSessionSeconds(seconds: number): void {
    this.sessionSeconds = seconds;
  }

  inject(fault: StsFault | undefined): void {
    this.fault = fault;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(form: URLSearchParams): { status: number; body: string } {
    if (form.get("Action") !== "AssumeRole") return error(400, "InvalidAction", "only AssumeRole is faked");
    const call: AssumeRoleCall = { Tags: {} };
    for (const name of ["RoleArn", "RoleSessionName", "SourceIdentity", "DurationSeconds", "Policy"] as const) {
      const value = form.get(name);
      if (value !== null) call[name] = value;
    }
    for (let i = 1; form.has(`Tags.member.${i}.Key`); i += 1) call.Tags[form.get(`Tags.member.${i}.Key`) ?? ""] = form.get(`Tags.member.${i}.Value`) ?? "";
    this.calls.push(call);
    if ((call.Policy?.length ?? 0) > POLICY_MAX_CHARS) {
      return error(400, "ValidationError", `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to ${POLICY_MAX_CHARS}`);
    }
    if (this.fault === "throttle") return error(400, "Throttling", "Rate exceeded");
    if (this.fault === "5xx") return error(500, "InternalFailure", "internal failure", "Receiver");
    if (this.fault === "access-denied") return error(403, "AccessDenied", "not authorized to perform sts:AssumeRole");
    const expiration = new Date(this.now() + this.sessionSeconds * 1000).toISOString();
    const session = call.RoleSessionName ?? "session";
    const role = (call.RoleArn ?? "").split("/").pop() ?? "role";
    const c = this.credentials;
    return {
      status: 200,
      body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        (call.SourceIdentity ? `<SourceIdentity>${call.SourceIdentity}</SourceIdentity>` : "") +
        `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/${role}/${session}</Arn>` +
        `<AssumedRoleId>AROAFAKEROLEID:${session}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${c.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${c.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<PackedPolicySize>7</PackedPolicySize></AssumeRoleResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    };
  }
}

function error(status: number, code: string, message: string, type = "Sender"): { status: number; body: string } {
  return {
    status,
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}
