// Usage: node scripts/flow-batch-bench.mjs PATH/TO/packetwalk [RUNS]
// The whole-process benchmark of `packetwalk flow-verify --flows`: 100,000 flows against
// a 1,000-rule NSG (994 user rules + the 6 defaults, as crates/packetwalk/benches/nsg.rs
// builds it), from a file. Prints the median, min and max wall time of RUNS runs (5).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [binary, runsArg] = process.argv.slice(2);
if (!binary) {
  console.error("usage: node scripts/flow-batch-bench.mjs PATH/TO/packetwalk [RUNS]");
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const FLOWS = 100_000;

const rules = [];
for (let i = 0; i < 994; i++) {
  const n = i + 1;
  rules.push({
    name: `rule-${i}`,
    priority: 100 + i,
    direction: "Inbound",
    access: i % 2 === 0 ? "Allow" : "Deny",
    protocol: i % 3 === 0 ? "*" : "Tcp",
    sourceAddressPrefix: `20.${(n >> 8) & 255}.${n & 255}.0/24`,
    sourcePortRange: "*",
    destinationAddressPrefix: "VirtualNetwork",
    destinationPortRange: String(1000 + i),
  });
}
const nsg = { name: "bench-nsg", securityRules: rules };

// Half the flows match a user rule (decided somewhere in the list), half fall through to
// DenyAllInBound, the last rule; a few are outbound.
const lines = [];
for (let i = 0; i < FLOWS; i++) {
  const r = (i * 7919) % 994;
  const n = r + 1;
  if (i % 10 === 9) {
    lines.push(JSON.stringify({ direction: "Outbound", protocol: "UDP", local: "10.0.0.4:53000", remote: `8.8.${i % 256}.8:53` }));
  } else if (i % 2 === 0) {
    lines.push(JSON.stringify({ direction: "Inbound", protocol: "TCP", local: `10.0.0.4:${1000 + r}`, remote: `20.${(n >> 8) & 255}.${n & 255}.9:50000` }));
  } else {
    lines.push(JSON.stringify({ direction: "Inbound", protocol: "TCP", local: "10.0.0.4:8080", remote: `198.51.${i % 256}.7:${1024 + (i % 60000)}` }));
  }
}

const dir = mkdtempSync(join(tmpdir(), "packetwalk-flows-"));
const nsgFile = join(dir, "nsg.json");
const flowsFile = join(dir, "flows.jsonl");
writeFileSync(nsgFile, JSON.stringify(nsg));
writeFileSync(flowsFile, lines.join("\n") + "\n");

const args = ["flow-verify", "--flows", flowsFile, "--nic-nsg", nsgFile, "--vnet-prefix", "10.0.0.0/16"];
const times = [];
let last;
for (let run = 0; run < runs; run++) {
  const start = process.hrtime.bigint();
  last = spawnSync(binary, args, { maxBuffer: 1 << 30, encoding: "utf8" });
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
  if (last.status !== 0) {
    console.error(last.stderr);
    process.exit(1);
  }
}
rmSync(dir, { recursive: true, force: true });
const out = last.stdout.trimEnd().split("\n");
const allowed = out.filter((l) => l.includes('"access":"Allow"')).length;
if (out.length !== FLOWS) {
  console.error(`expected ${FLOWS} lines, got ${out.length}`);
  process.exit(1);
}
times.sort((a, b) => a - b);
const ms = (t) => `${t.toFixed(0)} ms`;
console.log(
  `flow-verify --flows: ${FLOWS} flows, 1,000-rule NSG, whole process: median ${ms(times[Math.floor(times.length / 2)])} ` +
    `(min ${ms(times[0])}, max ${ms(times[times.length - 1])}, ${runs} runs); ${allowed} allowed, ${out.length - allowed} denied`,
);
