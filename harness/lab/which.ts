// Finding a tool the way the shell would, on the PATH it will run with.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `which`, on the PATH the tools will run with. */
export function which(tool: string, env: Record<string, string | undefined> = process.env): string | undefined {
  if (tool.includes('/')) return existsSync(tool) ? tool : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, tool);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
