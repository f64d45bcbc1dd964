import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
  type Parameter as SsmParameter,
} from "@aws-sdk/client-ssm";
import type { Parameter, ParameterStore, PutOptions } from "./types.js";

/** GetParameters takes at most 10 names per call. */
const GET_MANY_LIMIT = 10;

/** SSM Parameter Store. All values are read decrypted; writes are Standard tier. */
export class SsmParameterStore implements ParameterStore {
  constructor(private readonly client: SSMClient) {}

  async get(name: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return out.Parameter?.Value;
    } catch (error) {
      if (error instanceof Error && error.name === "ParameterNotFound") return undefined;
      throw error;
    }
  }

  async getMany(names: readonly string[]): Promise<Parameter[]> {
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += GET_MANY_LIMIT) chunks.push(names.slice(i, i + GET_MANY_LIMIT));
    const answers = await Promise.all(
      chunks.map((Names) => this.client.send(new GetParametersCommand({ Names, WithDecryption: true }))),
    );
    return answers.flatMap((out) => toParameters(out.Parameters));
  }

  async getByPath(path: string): Promise<Parameter[]> {
    const found: Parameter[] = [];
    let NextToken: string | undefined;
    do {
      const out = await this.client.send(
        new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken }),
      );
      found.push(...toParameters(out.Parameters));
      NextToken = out.NextToken;
    } while (NextToken);
    return found;
  }

  async put(name: string, value: string, options: PutOptions = {}): Promise<void> {
    await this.client.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: options.secure ? "SecureString" : "String",
        Overwrite: true,
        Tier: "Standard",
      }),
    );
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (error instanceof Error && error.name === "ParameterNotFound") return;
      throw error;
    }
  }
}

function toParameters(list: SsmParameter[] | undefined): Parameter[] {
  return (list ?? []).flatMap((p) => (p.Name !== undefined && p.Value !== undefined ? [{ name: p.Name, value: p.Value }] : []));
}
