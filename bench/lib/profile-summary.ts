/**
 * Where a V8 CPU profile (.cpuprofile, from `BENCH_CPU_PROF=<folder>`) spent its time: self time by
 * package or source folder, and the top functions.
 *
 *   npx tsx bench/lib/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: npx tsx bench/lib/profile-summary.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  total += us;
  const url = node.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  const area = pkg
    ? pkg
    : url.startsWith("node:")
      ? url
      : url
        ? (/\/dist\/([^/]+\/[^/]+)/.exec(url)?.[1] ?? url)
        : `(${node.callFrame.functionName || "native"})`;
  byArea.set(area, (byArea.get(area) ?? 0) + us);
  const fn = `${node.callFrame.functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}:${node.callFrame.lineNumber}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const top = Number(topArg ?? 25);
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${name}`,
    );
  }
};
console.log(`Total sampled: ${(total / 1e6).toFixed(2)} s`);
show("Self time by package or folder", byArea);
show("Self time by function", byFunction);
