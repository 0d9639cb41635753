/** `aekit info`: what the engine runs with. */
import { Command } from 'commander';

export function infoCommand(): Command {
  return new Command('info')
    .description('show the engine: libtorch version and build, thread pools')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const { engineInfo } = await import('../engine/index.js');
      const info = engineInfo();
      if (options.json) {
        console.log(JSON.stringify(info));
        return;
      }
      console.log(
        `libtorch ${info.torchVersion} (cuda: ${info.cuda ? 'yes' : 'no'}, ` +
          `oneDNN: ${info.mkldnn ? 'yes' : 'no'}, OpenMP: ${info.openmp ? 'yes' : 'no'})`,
      );
      console.log(
        `threads: libtorch ${info.threads}, OpenBLAS ${info.blasThreads ?? 'unknown'}, ` +
          `OMP_WAIT_POLICY=${info.ompWaitPolicy ?? 'unset'}`,
      );
    });
}
