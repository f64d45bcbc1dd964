// A second process for the file store's cross-process test: creates and revokes keys in
// the data dir it is given and prints the ids it created, one per line.
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { FileParameterStore } from "../../lambda/store/file.js";

const [dir, count] = process.argv.slice(2);
const admin = new KeyAdmin(new FileParameterStore(dir as string), "/mantle-vend");
for (let i = 0; i < Number(count); i += 1) {
  const { keyId } = await admin.create({ name: `writer-${process.pid}-${i}` });
  await admin.revoke(keyId);
  process.stdout.write(`${keyId}\n`);
}
