/**
 * The aekit command line. Each command lives in its own file and loads the engine only
 * when it runs, so `aekit --help` works without the native addon.
 */
import { Command, CommanderError, Help, type Option } from 'commander';
import { EXIT, reportError } from './errors.js';
import { compressCommand } from './compress.js';
import { decompressCommand } from './decompress.js';
import { decodeCommand } from './decode.js';
import { denoiseCommand } from './denoise.js';
import { encodeCommand } from './encode.js';
import { evalCommand } from './eval.js';
import { generateCommand } from './generate.js';
import { demoCommand } from './demo.js';
import { embedCommand } from './embed.js';
import { fitMapCommand } from './fit-map.js';
import { infoCommand } from './info.js';
import { reconstructCommand } from './reconstruct.js';
import { scoreCommand } from './score.js';
import { trainCommand } from './train.js';

/** Usage errors from commander read like aekit's own: 'aekit: ' instead of 'error: '. */
const OUTPUT = {
  writeErr: (text: string) => process.stderr.write(text),
  outputError: (text: string, write: (text: string) => void) =>
    write(text.replace(/^error: /, 'aekit: ')),
};

/** Help that marks the options a command cannot run without. */
const HELP = {
  optionDescription(option: Option): string {
    const text = new Help().optionDescription(option);
    return option.mandatory ? `${text} (required)` : text;
  },
};

export function program(): Command {
  const root = new Command('aekit')
    .description('Autoencoders on libtorch: train, compress, denoise, map, generate, score')
    .version('0.1.0')
    .exitOverride()
    .configureOutput(OUTPUT);
  root.addCommand(demoCommand());
  root.addCommand(infoCommand());
  root.addCommand(trainCommand());
  root.addCommand(evalCommand());
  root.addCommand(encodeCommand());
  root.addCommand(decodeCommand());
  root.addCommand(reconstructCommand());
  root.addCommand(scoreCommand());
  root.addCommand(generateCommand());
  root.addCommand(denoiseCommand());
  root.addCommand(embedCommand());
  root.addCommand(fitMapCommand());
  root.addCommand(compressCommand());
  root.addCommand(decompressCommand());
  for (const command of root.commands) {
    command.exitOverride().configureOutput(OUTPUT).configureHelp(HELP);
  }
  return root;
}

/** Runs the CLI on `argv` (as in process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exits with code 0; usage errors are bad input.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    return reportError(error);
  }
}
