/** Regions that serve Mantle (docs/configuration.md); ap-southeast-3 and eu-south-1 are opt-in. */
export const MANTLE_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-2",
  "ap-northeast-1",
  "ap-south-1",
  "ap-southeast-3",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-south-1",
  "eu-north-1",
  "sa-east-1",
];

export const DEFAULT_MANTLE_ENDPOINT = "https://bedrock-mantle.{region}.api.aws";
