/**
 * End to end with a client nobody here wrote: headless neovim (Debian's package) and its built-in
 * LSP client start our server, open a Kubefile with an error, and a Lua script writes back what
 * neovim received: diagnostics, a completion list and a formatting result.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_BIN } from './client.js';

interface NeovimReport {
  diagnostics: { lnum: number; col: number; message: string; code?: string; severity: number }[];
  completion: string[];
  formatted: string[];
}

function neovimVersion(): string {
  try {
    return execFileSync('nvim', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error('neovim is not installed; this end-to-end test needs it: apt-get install -y neovim (scripts/install-system-deps.sh does it)');
  }
}

/** Lua for neovim 0.7+: start the server for the buffer, wait for diagnostics, ask for completion and formatting. */
function script(out: string): string {
  return `
local out = ${JSON.stringify(out)}
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({ name = 'kubefile', cmd = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(SERVER_BIN)}, '--stdio' }, root_dir = vim.fn.getcwd() })
vim.lsp.buf_attach_client(buf, client_id)
local function finish(report)
  local file = io.open(out, 'w')
  file:write(vim.fn.json_encode(report))
  file:close()
  vim.cmd('qa!')
end
vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(diagnostics, { lnum = d.lnum, col = d.col, message = d.message, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code), severity = d.severity })
end
local uri = vim.uri_from_bufnr(buf)
local completion = {}
local result = vim.lsp.buf_request_sync(buf, 'textDocument/completion', { textDocument = { uri = uri }, position = { line = 2, character = 2 } }, 10000)
for _, response in pairs(result or {}) do
  local items = response.result and (response.result.items or response.result) or {}
  for _, item in ipairs(items) do table.insert(completion, item.label) end
end
local formatted = {}
local edits = vim.lsp.buf_request_sync(buf, 'textDocument/formatting', { textDocument = { uri = uri }, options = { tabSize = 4, insertSpaces = true } }, 10000)
for _, response in pairs(edits or {}) do
  if response.result then vim.lsp.util.apply_text_edits(response.result, buf, 'utf-16') end
end
formatted = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
finish({ diagnostics = diagnostics, completion = completion, formatted = formatted })
`;
}

interface ShellCheckReport {
  /** The ShellCheck finding neovim showed, before the action. */
  finding?: { lnum: number; col: number; code?: string; message: string; source?: string };
  /** The titles of the code actions offered at it. */
  actions: string[];
  /** The buffer after applying the "Ignore ... on this line" action. */
  lines: string[];
  /** The codes shown once the server has checked the edited buffer. */
  after: string[];
}

/** Lua: wait for a ShellCheck finding, ask for code actions at it, apply the "Ignore" one, wait for the diagnostics to change. */
function shellcheckScript(out: string): string {
  return `
local out = ${JSON.stringify(out)}
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({ name = 'kubefile', cmd = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(SERVER_BIN)}, '--stdio' }, root_dir = vim.fn.getcwd() })
vim.lsp.buf_attach_client(buf, client_id)
local function code_of(d) return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) end
local function finding()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = code_of(d)
    if type(code) == 'string' and code:match('^SC') then return d end
  end
  return nil
end
vim.wait(20000, function() return finding() ~= nil end, 50)
local report = { actions = {}, lines = {}, after = {} }
local d = finding()
if d then
  report.finding = { lnum = d.lnum, col = d.col, code = code_of(d), message = d.message, source = d.source }
  -- Built from neovim's own fields: older versions keep only some of the LSP diagnostic in user_data.
  local lsp_diagnostic = { range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } }, message = d.message, code = code_of(d), source = d.source, severity = d.severity }
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, range = lsp_diagnostic.range, context = { diagnostics = { lsp_diagnostic } } }
  local result = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 10000)
  local chosen = nil
  for _, response in pairs(result or {}) do
    for _, action in ipairs(response.result or {}) do
      table.insert(report.actions, action.title)
      if chosen == nil and action.title:match('^Ignore') and action.title:match('line') then chosen = action end
    end
  end
  if chosen and chosen.edit then
    vim.lsp.util.apply_workspace_edit(chosen.edit, 'utf-16')
    vim.wait(20000, function() return finding() == nil and #vim.diagnostic.get(buf) >= 0 end, 50)
    vim.wait(1500)
  end
end
report.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
for _, x in ipairs(vim.diagnostic.get(buf)) do table.insert(report.after, tostring(code_of(x))) end
local file = io.open(out, 'w')
file:write(vim.fn.json_encode(report))
file:close()
vim.cmd('qa!')
`;
}

/** Runs headless neovim on `kubefile` with a Lua script, and returns what the script wrote. */
async function runNeovim<T>(dir: string, kubefile: string, lua: (out: string) => string): Promise<T> {
  const out = join(dir, 'report.json');
  await writeFile(join(dir, 'check.lua'), lua(out));
  await new Promise<void>((resolve, reject) => {
    execFile('nvim', ['--headless', '--clean', '-c', 'set filetype=kubefile', '-c', `luafile ${join(dir, 'check.lua')}`, kubefile], { cwd: dir, timeout: 50_000 }, (error) => (error ? reject(error) : resolve()));
  });
  return JSON.parse(await readFile(out, 'utf8')) as T;
}

describe('language server in neovim (end to end)', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => neovimVersion());
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'kubefile-nvim-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('shows our diagnostics, completes keywords and formats, as neovim received them', async () => {
    const kubefile = join(dir, 'Kubefile');
    await writeFile(kubefile, 'from scratch\nCOPPY a.yaml manifests\nCO\n');
    await writeFile(join(dir, 'a.yaml'), 'kind: ConfigMap\n');
    const report = await runNeovim<NeovimReport>(dir, kubefile, script);
    const unknown = report.diagnostics.find((d) => d.lnum === 1);
    assert.ok(unknown, JSON.stringify(report.diagnostics));
    assert.equal(unknown.message, 'unknown instruction: COPPY (did you mean COPY?)');
    assert.equal(unknown.col, 0);
    assert.ok(report.completion.includes('COPY'), `completion: ${report.completion.join(' ')}`);
    assert.equal(report.formatted[0], 'FROM scratch');
  });

  it('shows a ShellCheck finding in RUN at its place, and applies "ignore on this line" from its code actions', async () => {
    const kubefile = join(dir, 'Kubefile');
    await writeFile(kubefile, 'FROM scratch\nRUN mkdir -p etc && \\\n    echo $1 > etc/x\n');
    const report = await runNeovim<ShellCheckReport>(dir, kubefile, shellcheckScript);
    assert.ok(report.finding, `no ShellCheck finding; actions: ${report.actions.join(', ')}`);
    assert.equal(report.finding.code, 'SC2086');
    assert.deepEqual([report.finding.lnum, report.finding.col], [2, 9]);
    const ignore = report.actions.find((title) => /^Ignore SC2086 on this line/.test(title));
    assert.ok(ignore, `actions: ${report.actions.join(', ')}`);
    assert.deepEqual(report.lines, ['FROM scratch', '# kubefile-lint ignore=SC2086', 'RUN mkdir -p etc && \\', '    echo $1 > etc/x']);
    assert.ok(!report.after.includes('SC2086'), `after: ${report.after.join(', ')}`);
  });
});
