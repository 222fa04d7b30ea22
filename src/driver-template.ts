/**
 * "DMA Lab: New Driver from Template": writes a driver script with a scenario, the `dmalab/*`
 * type declarations the extension ships, and a `tsconfig.json` that maps the module names to
 * them, so IntelliSense works in the user's own workspace. Nothing is overwritten.
 */
import * as vscode from 'vscode';

/** The declaration files the build writes to `types/` (one per importable module). */
export const TYPE_MODULES = ['linux', 'ddi', 'devices'] as const;

export function driverSource(name: string): string {
  const ident = name.replace(/[^A-Za-z0-9_]/g, '_');
  return `// ${name}: a streaming-DMA read driver for the dad device, written from the DMA Lab template.
// A process reads /dev/dad; the driver maps a buffer for the device, starts a transfer and sleeps
// until the interrupt; the handler unmaps the buffer and wakes the reader.
//
// platforms: arm64-smmu-noncoherent, x86-64-vtd, arm32-swiotlb
import {
  platform_driver, PlatformDevice, Device, IoMem, Ptr, File, UserPtr, MiscDevice,
  dma_set_mask_and_coherent, DMA_BIT_MASK, dma_map_single, dma_unmap_single, dma_mapping_error,
  DMA_FROM_DEVICE, lower_32_bits, upper_32_bits, devm_platform_ioremap_resource, platform_get_irq,
  devm_request_irq, IS_ERR, PTR_ERR, readl, writel, writeb, kmalloc, kfree, GFP_KERNEL,
  copy_to_user, misc_register, misc_deregister, dev_info, dev_err, init_completion,
  reinit_completion, complete, wait_for_completion, Completion, IRQ_HANDLED, EIO, ENOMEM,
} from 'dmalab/linux';
import {
  DAD_COMMAND, DAD_STATUS, DAD_ADDR_LO, DAD_ADDR_HI, DAD_LEN, DAD_CMD_RD, DAD_CMD_ENABLEDMA, DAD_STATUS_ERR,
} from 'dmalab/devices';

const BUF_SIZE = 4096;

interface ${ident}_dev {
  dev: Device;
  regs: IoMem;
  done: Completion;
  misc?: MiscDevice;
}

async function ${ident}_read(d: ${ident}_dev, _f: File, ubuf: UserPtr, count: number): Promise<number> {
  const len = Math.min(count, BUF_SIZE);
  const buf: Ptr | null = kmalloc(BUF_SIZE, GFP_KERNEL);
  if (!buf) return -ENOMEM;
  const dma = dma_map_single(d.dev, buf, BUF_SIZE, DMA_FROM_DEVICE);
  if (dma_mapping_error(d.dev, dma)) {
    kfree(buf);
    return -ENOMEM;
  }
  reinit_completion(d.done);
  writel(lower_32_bits(dma), d.regs.add(DAD_ADDR_LO));
  writel(upper_32_bits(dma), d.regs.add(DAD_ADDR_HI));
  writel(len, d.regs.add(DAD_LEN));
  writeb(DAD_CMD_RD, d.regs.add(DAD_COMMAND));
  writeb(DAD_CMD_ENABLEDMA, d.regs.add(DAD_COMMAND));
  await wait_for_completion(d.done);
  dma_unmap_single(d.dev, dma, BUF_SIZE, DMA_FROM_DEVICE);
  const failed = (readl(d.regs.add(DAD_STATUS)) & DAD_STATUS_ERR) !== 0;
  if (!failed) copy_to_user(ubuf, buf, len);
  kfree(buf);
  return failed ? -EIO : len;
}

export default platform_driver({
  name: '${name}',
  of_match_table: ['dmalab,dad'],
  async probe(pdev: PlatformDevice) {
    const dev = pdev.dev;
    const regs = devm_platform_ioremap_resource(pdev, 0);
    if (IS_ERR(regs)) return PTR_ERR(regs);
    const ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
    if (ret) return ret;
    const d: ${ident}_dev = { dev, regs, done: init_completion() };
    const irq = platform_get_irq(pdev, 0);
    if (irq < 0) return irq;
    const err = devm_request_irq(dev, irq, () => {
      writel(0, d.regs.add(DAD_STATUS));
      complete(d.done);
      return IRQ_HANDLED;
    }, '${name}', d);
    if (err) {
      dev_err(dev, 'cannot request irq %d', irq);
      return err;
    }
    d.misc = misc_register({ name: 'dad', read: (f, ubuf, count) => ${ident}_read(d, f, ubuf, count) });
    pdev.drvdata = d;
    dev_info(dev, 'ready');
    return 0;
  },
  async remove(pdev: PlatformDevice) {
    const d = pdev.drvdata as ${ident}_dev;
    if (d.misc) misc_deregister(d.misc);
  },
});

// The user-space side: what a process does with the device.
export async function scenario(sys: { open(path: string): Promise<{ read(n: number): Promise<Uint8Array>; close(): Promise<void> }> }) {
  const f = await sys.open('/dev/dad');
  const data = await f.read(BUF_SIZE);
  console.log(\`read \${data.length} bytes, first bytes \${[...data.subarray(0, 8)].join(' ')}\`);
  await f.close();
}
`;
}

export function tsconfigSource(): string {
  const paths = Object.fromEntries(TYPE_MODULES.map((m) => [`dmalab/${m}`, [`./.dmalab/types/${m}.d.ts`]]));
  return JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler', strict: true, noEmit: true, lib: ['ES2022'], types: [], paths } }, null, 2) + '\n';
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function scaffoldDriver(extensionUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('DMA Lab: open a folder first; the new driver, its tsconfig.json and the dmalab types go there.');
    return undefined;
  }
  const name = await vscode.window.showInputBox({
    title: 'DMA Lab: New Driver from Template',
    prompt: 'Driver name (also the file name)',
    value: 'mydriver',
    validateInput: (v) => (/^[a-z][a-z0-9_-]{0,39}$/.test(v) ? undefined : 'lower-case letters, digits, "_" and "-", starting with a letter'),
  });
  if (!name) return undefined;
  const driver = vscode.Uri.joinPath(folder.uri, `${name}.ts`);
  if (await exists(driver)) {
    void vscode.window.showErrorMessage(`DMA Lab: ${driver.fsPath} already exists; choose another name.`);
    return undefined;
  }
  const enc = new TextEncoder();
  await vscode.workspace.fs.writeFile(driver, enc.encode(driverSource(name)));
  // the types are refreshed on every scaffold, so a newer extension brings newer declarations
  for (const m of TYPE_MODULES) {
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(extensionUri, 'types', `${m}.d.ts`), vscode.Uri.joinPath(folder.uri, '.dmalab', 'types', `${m}.d.ts`), { overwrite: true });
  }
  const tsconfig = vscode.Uri.joinPath(folder.uri, 'tsconfig.json');
  if (!(await exists(tsconfig))) await vscode.workspace.fs.writeFile(tsconfig, enc.encode(tsconfigSource()));
  else void vscode.window.showInformationMessage('DMA Lab: tsconfig.json exists and was left alone; map "dmalab/*" to .dmalab/types/*.d.ts in its "paths" for IntelliSense.');
  await vscode.window.showTextDocument(driver);
  return driver;
}
