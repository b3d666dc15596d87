// Runs before `npm test`: the GPU and e2e tests need Debian's Chromium (WebGPU on SwiftShader)
// and the Vulkan loader (Dawn for Node, used by the CLI). Say so plainly instead of failing late.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const problems = [];
if (!existsSync(chromium)) problems.push(`Chromium not found at ${chromium}`);
let hasVulkan;
try {
  hasVulkan = execSync('ldconfig -p', { encoding: 'utf8' }).includes('libvulkan.so.1 ');
} catch {
  hasVulkan = existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
}
if (!hasVulkan) problems.push('the Vulkan loader libvulkan.so.1 is missing');
if (problems.length) {
  console.error(`npm test: ${problems.join('; ')}. Install them with: sudo apt-get install -y chromium libvulkan1`);
  process.exit(1);
}
