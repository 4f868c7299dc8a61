/**
 * `pnpm bench`: convkit's CPU kernels against TensorFlow.js and ONNX Runtime, every output
 * verified against convkit's reference before it is timed. Flags: see ./cli-args.ts (USAGE).
 */
import { benchCommand } from './bench-command';
import { CliError, parseBenchArgs, USAGE } from './cli-args';
import { SelectionError } from './select-by-id';

async function main(): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`bench: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const result = await benchCommand(args, { print: (text) => console.log(text), progress: args.progress });
    return result.exitCode;
  } catch (error) {
    if (error instanceof SelectionError) {
      console.error(`bench: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

// Exit explicitly: worker threads and wasm runtimes must not keep the process alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
