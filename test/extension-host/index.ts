/** The extension host's test entry (`--extensionTestsPath`): mocha over the bundled `*.ext.js` files. */
import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: true, reporter: 'spec' });
  for (const f of (process.env.DMALAB_EXT_TESTS ?? '').split(path.delimiter).filter(Boolean)) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
