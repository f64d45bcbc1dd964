import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
  type Parameter as SsmParameter,
} from "@aws-sdk/client-ssm";
import { storeCall } from "./errors.js";
import type { Parameter, ParameterStore, PutOptions } from "./types.js";

/** GetParameters takes at most 10 names per call. */
const GET_MANY_LIMIT = 10;

const isNotFound = (error: unknown): boolean => error instanceof Error && error.name === "ParameterNotFound";

/**
 * SSM Parameter Store. All values are read decrypted; writes are Standard tier. Every SDK error
 * leaves as a StoreUnavailableError (its cause the SDK's error); a missing parameter is an answer.
 */
export class SsmParameterStore implements ParameterStore {
  constructor(private readonly client: SSMClient) {}

  get(name: string): Promise<string | undefined> {
    return storeCall(`read ${name}`, async () => {
      try {
        const out = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
        return out.Parameter?.Value;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  getMany(names: readonly string[]): Promise<Parameter[]> {
    return storeCall(`read ${names.length} parameters`, async () => {
      const chunks: string[][] = [];
      for (let i = 0; i < names.length; i += GET_MANY_LIMIT) chunks.push(names.slice(i, i + GET_MANY_LIMIT));
      const answers = await Promise.all(chunks.map((Names) => this.client.send(new GetParametersCommand({ Names, WithDecryption: true }))));
      return answers.flatMap((out) => toParameters(out.Parameters));
    });
  }

  getByPath(path: string): Promise<Parameter[]> {
    return storeCall(`list ${path}`, async () => {
      const found: Parameter[] = [];
      let NextToken: string | undefined;
      do {
        const out = await this.client.send(new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken }));
        found.push(...toParameters(out.Parameters));
        NextToken = out.NextToken;
      } while (NextToken);
      return found;
    });
  }

  put(name: string, value: string, options: PutOptions = {}): Promise<void> {
    return storeCall(`write ${name}`, async () => {
      await this.client.send(
        new PutParameterCommand({ Name: name, Value: value, Type: options.secure ? "SecureString" : "String", Overwrite: true, Tier: "Standard" }),
      );
    });
  }

  delete(name: string): Promise<void> {
    return storeCall(`delete ${name}`, async () => {
      try {
        await this.client.send(new DeleteParameterCommand({ Name: name }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    });
  }
}

function toParameters(list: SsmParameter[] | undefined): Parameter[] {
  return (list ?? []).flatMap((p) => (p.Name !== undefined && p.Value !== undefined ? [{ name: p.Name, value: p.Value }] : []));
}
