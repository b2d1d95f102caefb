import { processCpuSeconds, processRssMiB } from '../../service-kit/index.ts';

/** CPU seconds (user + system) and RSS of another process; the same measure for agent and peer. */
export function procUsage(pid: number): { cpuS: number; rssMb: number } {
  return { cpuS: processCpuSeconds(pid), rssMb: processRssMiB(pid) };
}
