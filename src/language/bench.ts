/**
 * The language server's measurement for `npm run bench` (lsp_diagnostics_5k_lines_ms): a
 * synthetic platform of the requested length, opened in the server over in-memory streams, then
 * changed again and again; each time is from sending didChange to receiving its
 * publishDiagnostics, so it covers parsing, resolving, the platform model, the checks and the
 * protocol.
 */
import { PassThrough } from 'stream';
import { performance } from 'perf_hooks';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver';
import { startLanguageServer } from './server/server';

/**
 * A realistic platform of at least `lines` lines: RAM, a GIC, an SMMU, reserved pools, and buses
 * of devices with the built-in models (dad, edu, uart with dmas on a PL080), with comments.
 */
export function syntheticPlatform(lines: number): string {
  const out = [
    '// A synthetic platform for measurements.',
    '/dts-v1/;',
    '',
    '/ {',
    '\tmodel = "synthetic";',
    '\tdmalab,arch = "arm64";',
    '\t#address-cells = <2>;',
    '\t#size-cells = <2>;',
    '\tinterrupt-parent = <&gic>;',
    '',
    '\tmemory@80000000 {',
    '\t\tdevice_type = "memory";',
    '\t\treg = <0x0 0x80000000 0x0 0x80000000>;',
    '\t};',
    '',
    '\treserved-memory {',
    '\t\t#address-cells = <2>;',
    '\t\t#size-cells = <2>;',
    '\t\tranges;',
    '',
    '\t\ttlb: tlb@f0000000 {',
    '\t\t\tcompatible = "restricted-dma-pool";',
    '\t\t\treg = <0x0 0xf0000000 0x0 0x400000>;',
    '\t\t};',
    '\t};',
    '',
    '\tgic: interrupt-controller@8000000 {',
    '\t\tcompatible = "arm,gic-v3";',
    '\t\treg = <0x0 0x08000000 0x0 0x10000>;',
    '\t\tinterrupt-controller;',
    '\t\t#interrupt-cells = <3>;',
    '\t};',
    '',
    '\tsmmu: iommu@9050000 {',
    '\t\tcompatible = "arm,smmu-v3";',
    '\t\treg = <0x0 0x09050000 0x0 0x20000>;',
    '\t\t#iommu-cells = <1>;',
    '\t};',
  ];
  let bus = 0;
  let dev = 0;
  while (out.length < lines - 2) {
    const base = 0x1000_0000 + bus * 0x100_0000;
    out.push(
      '',
      `\tbus${bus}: bus@${base.toString(16)} {`,
      '\t\tcompatible = "simple-bus";',
      '\t\t#address-cells = <1>;',
      '\t\t#size-cells = <1>;',
      `\t\tranges = <0x0 0x0 0x${base.toString(16)} 0x1000000>;`,
      '\t\tdma-ranges = <0x0 0x0 0x80000000 0x40000000>;',
      '',
      `\t\tdmac${bus}: dma-controller@0 {`,
      '\t\t\tcompatible = "arm,pl080", "arm,primecell";',
      '\t\t\treg = <0x0 0x1000>;',
      `\t\t\tinterrupts = <0 ${(bus * 7) % 900} 4>;`,
      '\t\t\t#dma-cells = <2>;',
      '\t\t};',
    );
    for (let i = 1; i < 40 && out.length < lines - 12; i++, dev++) {
      const off = (i * 0x10000).toString(16);
      const irq = `<0 ${(bus * 7 + i) % 900} 4>`;
      switch (i % 3) {
        case 0:
          out.push('', `\t\t/* device ${dev}: an acquisition device behind the SMMU */`, `\t\tdad${dev}: dad@${off} {`, '\t\t\tcompatible = "dmalab,dad";', `\t\t\treg = <0x${off} 0x1000>;`, `\t\t\tinterrupts = ${irq};`, `\t\t\tiommus = <&smmu 0x${dev.toString(16)}>;`, '\t\t\tdmalab,dma-bits = <32>;', '\t\t};');
          break;
        case 1:
          out.push('', `\t\tedu${dev}: edu@${off} {`, '\t\t\tcompatible = "qemu,edu";', `\t\t\treg = <0x${off} 0x1000>;`, `\t\t\tinterrupts = ${irq};`, '\t\t\tmemory-region = <&tlb>;', '\t\t\tdmalab,dma-bits = <28>;', '\t\t};');
          break;
        default:
          out.push('', `\t\tuart${dev}: serial@${off} {`, '\t\t\tcompatible = "dmalab,uart";', `\t\t\treg = <0x${off} 0x1000>;`, `\t\t\tinterrupts = ${irq};`, `\t\t\tdmas = <&dmac${bus} ${i % 16} 1>, <&dmac${bus} ${(i + 1) % 16} 1>;`, '\t\t\tdma-names = "tx", "rx";', '\t\t\tdmalab,baud = <115200>;', '\t\t};');
      }
    }
    out.push('\t};');
    bus++;
  }
  out.push('};', '');
  return out.join('\n');
}

/** Median time (ms) from didChange to its diagnostics for a `lines`-line platform, and what was measured. */
export async function lspDiagnosticsMs(lines = 5000, runs = 15): Promise<{ ms: number; lines: number; diagnostics: number }> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = startLanguageServer(toServer, toClient);
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  let waiting: ((p: PublishDiagnosticsParams) => void) | undefined;
  client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => waiting?.(p));
  client.listen();
  await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
  await client.sendNotification('initialized', {});
  const uri = 'file:///synthetic/platform.dts';
  const text = syntheticPlatform(lines);
  const next = (): Promise<PublishDiagnosticsParams> => new Promise((resolve) => (waiting = resolve));
  let got = next();
  await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'devicetree', version: 1, text } });
  let last = await got;
  const times: number[] = [];
  for (let v = 2; v < runs + 5; v++) {
    // a different model string each time: a real change, the whole file analysed again
    const changed = text.replace('model = "synthetic";', `model = "synthetic ${v}";`);
    got = next();
    const t0 = performance.now();
    await client.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text: changed }] });
    last = await got;
    if (v >= 5) times.push(performance.now() - t0); // the first rounds warm the JIT up
  }
  await client.sendRequest('shutdown');
  client.dispose();
  server.dispose();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], lines: text.split('\n').length, diagnostics: last.diagnostics.length };
}
