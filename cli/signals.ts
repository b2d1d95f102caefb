/** Resolves when SIGINT/SIGTERM arrives, after `stop` finished; a second signal exits at once. */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolveDone) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      console.error(`\n${signal}: stopping…`);
      stop().then(() => resolveDone(), (err) => {
        console.error(`error while stopping: ${(err as Error).message}`);
        process.exitCode = 1;
        resolveDone();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
