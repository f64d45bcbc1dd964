import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";
import { helpFor } from "../usage.js";

export const help: Command = {
  name: "help",
  summary: "this text, or a command's help",
  flags: [],
  operands: { usage: "[command]", take: "rest" },
  help: "Prints the overview of every command, or with a command's name the help of that command.\n",
  async run(args, { commands }) {
    stdout(helpFor(commands, args.operands[0]));
    return EXIT.OK;
  },
};
