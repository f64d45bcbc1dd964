import { VERSION } from "../../version.js";
import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";

export const version: Command = {
  name: "version",
  summary: "print this CLI's version (the same as --version)",
  flags: [],
  help: "Prints the version of this CLI. `mantle-vend doctor` shows the service's too.\n",
  async run() {
    stdout(`${VERSION}\n`);
    return EXIT.OK;
  },
};
