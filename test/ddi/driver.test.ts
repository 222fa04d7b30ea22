// The DDI driver model through the runner: ddi_driver's attach/detach bound like probe/remove, what a
// failed attach or a careless detach leaves behind, cmn_err, timed condition waits, register byte order.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScript } from '../../emulator/runner/run';
import { bindKernel } from '../../emulator/api/current';
import * as ddi from '../../emulator/api/ddi/index';
import { DAD_LEN } from '../../emulator/devices/dad';
import { rig } from './setup';

function script(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dmalab-ddi-')), name);
  fs.writeFileSync(file, text);
  return file;
}

function logText(r: Awaited<ReturnType<typeof runScript>>): string[] {
  return (r.kernel?.trace.events ?? []).flatMap((e) => (e.kind === 'log' ? [e.text] : []));
}

describe('DDI: drivers', () => {
  afterEach(() => bindKernel(undefined));

  it('a failed attach: cmn_err lines, a timed wait that times out, what it took is released', async () => {
    const file = script(
      'fails.ts',
      `import { ddi_driver, DDI_ATTACH, DDI_FAILURE, DDI_SUCCESS, CE_NOTE, CE_WARN, CE_CONT, MUTEX_DRIVER, CV_DRIVER, cmn_err,
  ddi_regs_map_setup, mutex_init, mutex_enter, mutex_exit, cv_init, cv_timedwait, ddi_get_lbolt, drv_usectohz, ddi_get_instance } from 'dmalab/ddi';
export default ddi_driver({
  name: 'flaky', compatible: ['dmalab,dad'],
  async attach(dip, cmd) {
    if (cmd !== DDI_ATTACH) return DDI_FAILURE;
    if (ddi_regs_map_setup(dip, 0, 0, 0, null).status !== DDI_SUCCESS) return DDI_FAILURE;
    const m = mutex_init(null, 'flaky', MUTEX_DRIVER, null);
    const cv = cv_init(null, 'flaky', CV_DRIVER, null);
    mutex_enter(m);
    const start = ddi_get_lbolt();
    const r = await cv_timedwait(cv, m, start + drv_usectohz(20000));
    mutex_exit(m);
    cmn_err(CE_NOTE, 'flaky%d: cv_timedwait returned %d after %d ticks', ddi_get_instance(dip), r, ddi_get_lbolt() - start);
    cmn_err(CE_CONT, '?verbose only\\n');
    cmn_err(CE_WARN, 'flaky%d: no hardware found', ddi_get_instance(dip));
    return DDI_FAILURE;
  },
});
`,
    );
    const r = await runScript({ script: file, platform: 'arm64-smmu-noncoherent' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    assert.strictEqual(r.exitCode, 0);
    const log = logText(r);
    assert.ok(log.includes('NOTICE: flaky0: cv_timedwait returned -1 after 2 ticks'), log.join('\n'));
    assert.ok(log.includes('WARNING: flaky0: no hardware found'));
    assert.ok(log.some((l) => /flaky0: attach\(DDI_ATTACH\) returned DDI_FAILURE/.test(l)));
    assert.ok(log.some((l) => /a failed attach left register set 0 mapping \(ddi_regs_map_free\) behind/.test(l)));
    assert.ok(r.kernel!.trace.events.some((e) => e.kind === 'log' && e.level === 'debug' && e.text === 'verbose only'));
  });

  it('a detach that gives nothing back: warnings, and the bound handle leaks at remove', async () => {
    const file = script(
      'careless.ts',
      `import { ddi_driver, DDI_SUCCESS, DDI_DMA_SLEEP, DDI_DMA_STREAMING, DDI_DMA_RDWR, DDI_INTR_TYPE_FIXED, DDI_INTR_ALLOC_NORMAL,
  DDI_INTR_UNCLAIMED, DMA_ATTR_V0, ddi_regs_map_setup, ddi_intr_alloc, ddi_intr_add_handler, ddi_intr_enable, ddi_dma_alloc_handle,
  ddi_dma_mem_alloc, ddi_dma_addr_bind_handle } from 'dmalab/ddi';
export default ddi_driver({
  name: 'careless', compatible: 'dmalab,dad',
  attach(dip) {
    ddi_regs_map_setup(dip, 0, 0, 0, null);
    const i = ddi_intr_alloc(dip, DDI_INTR_TYPE_FIXED, 0, 1, DDI_INTR_ALLOC_NORMAL);
    ddi_intr_add_handler(i.h_array[0]!, () => DDI_INTR_UNCLAIMED, null, null);
    ddi_intr_enable(i.h_array[0]!);
    const h = ddi_dma_alloc_handle(dip, { dma_attr_version: DMA_ATTR_V0, dma_attr_addr_lo: 0, dma_attr_addr_hi: 0xffffffff,
      dma_attr_count_max: 0xffffff, dma_attr_align: 1, dma_attr_burstsizes: 1, dma_attr_minxfer: 1, dma_attr_maxxfer: 0xffffff,
      dma_attr_seg: 0xffffffff, dma_attr_sgllen: 1, dma_attr_granular: 1, dma_attr_flags: 0 }, DDI_DMA_SLEEP);
    const m = ddi_dma_mem_alloc(h.handle!, 8192, null, DDI_DMA_STREAMING, DDI_DMA_SLEEP);
    ddi_dma_addr_bind_handle(h.handle!, null, m.kaddr!, 8192, DDI_DMA_RDWR | DDI_DMA_STREAMING, DDI_DMA_SLEEP); // line 15
    return DDI_SUCCESS;
  },
  detach() { return DDI_SUCCESS; },
});
`,
    );
    const r = await runScript({ script: file, platform: 'x86-64-vtd' });
    assert.strictEqual(r.error, undefined, r.error?.message);
    assert.strictEqual(r.exitCode, 1);
    assert.deepStrictEqual(r.findings.map((f) => f.id), ['leak-at-remove']);
    assert.strictEqual(r.findings[0].site?.location()?.line, 15);
    const log = logText(r).filter((l) => /careless0: detach left/.test(l));
    assert.strictEqual(log.length, 4, log.join('\n'));
    assert.ok(log.some((l) => /interrupt 0 \(still enabled: ddi_intr_disable\)/.test(l)));
    assert.ok(log.some((l) => /dma handle #1 \(ddi_dma_free_handle\)/.test(l)));
    assert.ok(log.some((l) => /8192 bytes of ddi_dma_mem_alloc memory/.test(l)));
    assert.deepStrictEqual(r.kernel!.irq.registered(r.kernel!.devices[0].desc.irqs[0].line), [], 'the handler is gone');
  });

  it('cmn_err(CE_PANIC) stops the run as a kernel oops', async () => {
    const file = script('panic.ts', `import { ddi_driver, cmn_err, CE_PANIC } from 'dmalab/ddi';\nexport default ddi_driver({ name: 'p', compatible: 'dmalab,dad', attach() { cmn_err(CE_PANIC, 'bad state %d', 7); return 0; } });\n`);
    const r = await runScript({ script: file, platform: 'x86-64-vtd' });
    assert.strictEqual(r.exitCode, 2);
    assert.match(r.error!.message, /kernel oops during probe: panic: bad state 7/);
    assert.strictEqual(r.error!.location?.line, 2);
  });

  it('register access swaps bytes for a big-endian device and checks the handle', () => {
    const r = rig('x86-64-vtd');
    const le = ddi.ddi_regs_map_setup(r.dip, 0, 0, 0, { devacc_attr_version: ddi.DDI_DEVICE_ATTR_V0, devacc_attr_endian_flags: ddi.DDI_STRUCTURE_LE_ACC, devacc_attr_dataorder: ddi.DDI_STRICTORDER_ACC });
    const be = ddi.ddi_regs_map_setup(r.dip, 0, 0, 0x100, { devacc_attr_version: ddi.DDI_DEVICE_ATTR_V0, devacc_attr_endian_flags: ddi.DDI_STRUCTURE_BE_ACC, devacc_attr_dataorder: ddi.DDI_STRICTORDER_ACC });
    assert.ok(le.status === ddi.DDI_SUCCESS && be.status === ddi.DDI_SUCCESS);
    ddi.ddi_put32(be.handle, be.addr.add(DAD_LEN), 0x11223344);
    assert.strictEqual(ddi.ddi_get32(le.handle, le.addr.add(DAD_LEN)), 0x44332211);
    assert.strictEqual(ddi.ddi_get32(be.handle, be.addr.add(DAD_LEN)), 0x11223344);
    assert.throws(() => ddi.ddi_get32(le.handle, be.addr.add(DAD_LEN)), /not inside the mapping of this access handle/);
    assert.throws(() => ddi.ddi_get32(le.handle, le.addr.add(2)), /misaligned/);
    assert.strictEqual(ddi.ddi_regs_map_setup(r.dip, 1, 0, 0, null).status, ddi.DDI_FAILURE, 'the node has one register set');
    assert.strictEqual(ddi.ddi_regs_map_setup(r.dip, 0, 0xff0, 0x20, null).status, ddi.DDI_FAILURE, 'past its end');
    ddi.ddi_regs_map_free(be.handle);
    assert.throws(() => ddi.ddi_get32(be.handle, be.addr), /freed by ddi_regs_map_free/);
  });
});
