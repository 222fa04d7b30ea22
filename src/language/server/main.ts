/**
 * Entry point of the bundled server (dist/lsp-server.js), for the extension to spawn with
 * `--stdio` (the only transport it speaks; other arguments are ignored). Nothing but the protocol
 * may reach stdout, so console output goes to stderr.
 */
import { startLanguageServer } from './server';

console.log = console.error;
console.info = console.error;
startLanguageServer(process.stdin, process.stdout);
// it ends with the client's `exit`, or when stdin closes and nothing is left to do
