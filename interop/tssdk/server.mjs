// An MCP server built with the official TypeScript SDK (@modelcontextprotocol/sdk,
// pinned in ../package.json), for mcpwatch's interop tests (../tssdk_test.go).
//
//   PORT=8080 node server.mjs stateful    streamable HTTP at /mcp, one transport per session
//   PORT=8080 node server.mjs stateless   streamable HTTP at /mcp, a new server per request
//   PORT=8080 node server.mjs sse         legacy HTTP+SSE: GET /sse, POST /messages
//             node server.mjs stdio
//
// The SDK resolves through ./node_modules, a symlink to .tools/interop/node_modules
// where .ci/interop.sh installs it (ESM imports ignore NODE_PATH).
// Only node's http module: the SDK's examples use express, the transports do not need it.
//
// Every HTTP exchange and JSON-RPC message is logged, one line each, to the file
// $TSSDK_LOG (else stderr), synchronously and before the client sees the answer:
// once a check has returned, the file holds everything it sent, so a test can
// show and assert it. A file, because mcpwatch keeps a stdio server's stderr.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

const MAX_BODY = 1 << 20;

function log(line) {
  if (process.env.TSSDK_LOG) appendFileSync(process.env.TSSDK_LOG, line + '\n');
  else process.stderr.write(line + '\n');
}

function newServer() {
  const server = new McpServer({ name: 'tssdk-interop', version: '1.0.0' });
  // A health check must never call a tool: tools have side effects. The test
  // fails on this marker, and the process exits so nothing can look healthy after it.
  server.registerTool('side-effect', { description: 'Must never be called by a health check.' }, async () => {
    log('TOOLS/CALL RECEIVED: a health check called a tool');
    process.exit(3);
  });
  return server;
}

// connect connects a fresh McpServer to transport and logs every message
// that passes, in (<-) and out (->). Protocol.connect sets onmessage, so
// the wrapper goes on afterwards.
async function connect(transport) {
  await newServer().connect(transport);
  const onmessage = transport.onmessage;
  transport.onmessage = (msg, extra) => {
    log('<- ' + JSON.stringify(msg).slice(0, 400));
    onmessage?.(msg, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (msg, options) => {
    log('-> ' + JSON.stringify(msg).slice(0, 400));
    return send(msg, options);
  };
}

// readJSON reads a bounded request body; undefined for an empty one.
async function readJSON(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw Object.assign(new Error('Parse error'), { status: 400 });
  }
}

function methods(body) {
  const msgs = Array.isArray(body) ? body : body ? [body] : [];
  return msgs.map(m => m?.method ?? (m?.error ? `error ${m.error.code}` : 'result')).join(',') || '-';
}

// logBody logs what an error response says, which the transports write
// themselves (a 400 for a bad header never reaches the JSON-RPC layer).
function logBody(res) {
  for (const fn of ['write', 'end']) {
    const orig = res[fn];
    res[fn] = function (chunk, ...rest) {
      if (chunk && typeof chunk !== 'function') log('   body: ' + Buffer.from(chunk).toString('utf8').slice(0, 400));
      return orig.call(this, chunk, ...rest);
    };
  }
}

function jsonError(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

// Stateful streamable HTTP, as the SDK's simpleStreamableHttp example: an
// initialize without a session id opens a session with its own transport;
// everything else must name a live session.
const sessions = new Map();
async function stateful(req, res, body) {
  const id = req.headers['mcp-session-id'];
  const transport = id && sessions.get(id);
  if (transport) return transport.handleRequest(req, res, body);
  if (id) return jsonError(res, 404, -32001, 'Session not found');
  if (req.method !== 'POST' || !isInitializeRequest(body)) {
    return jsonError(res, 400, -32000, 'Bad Request: No valid session ID provided');
  }
  const t = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: sid => sessions.set(sid, t),
  });
  t.onclose = () => sessions.delete(t.sessionId);
  await connect(t);
  return t.handleRequest(req, res, body);
}

// Stateless streamable HTTP, as the SDK's simpleStatelessStreamableHttp
// example: a new server and transport for every POST; GET and DELETE are 405.
async function stateless(req, res, body) {
  if (req.method !== 'POST') return jsonError(res, 405, -32000, 'Method not allowed.');
  const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => t.close());
  await connect(t);
  return t.handleRequest(req, res, body);
}

// Legacy HTTP+SSE, as the SDK's simpleSseServer example: GET /sse opens the
// stream and announces /messages?sessionId=…, where requests are POSTed.
const streams = new Map();
async function sse(req, res, body, url) {
  if (req.method === 'GET' && url.pathname === '/sse') {
    const t = new SSEServerTransport('/messages', res);
    streams.set(t.sessionId, t);
    t.onclose = () => streams.delete(t.sessionId);
    return connect(t);
  }
  if (req.method === 'POST' && url.pathname === '/messages') {
    const t = streams.get(url.searchParams.get('sessionId'));
    if (!t) return jsonError(res, 404, -32001, 'Session not found');
    return t.handlePostMessage(req, res, body);
  }
  return jsonError(res, 404, -32000, 'Not found');
}

const mode = process.argv[2];
const handlers = { stateful, stateless, sse };

if (mode === 'stdio') {
  await connect(new StdioServerTransport());
  log('tssdk-interop: stdio ready');
} else if (handlers[mode]) {
  const handle = handlers[mode];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let body;
    // Logged as the status goes out (Node's implicit headers go through
    // writeHead too), so the line is written before the client has its answer.
    const h = req.headers;
    const writeHead = res.writeHead;
    res.writeHead = function (status, ...rest) {
      log(`HTTP ${req.method} ${url.pathname} session=${h['mcp-session-id'] ?? '-'} ` +
        `version=${h['mcp-protocol-version'] ?? '-'} [${methods(body)}] -> ${status}`);
      if (status >= 400) logBody(res);
      return writeHead.call(this, status, ...rest);
    };
    try {
      if (req.method === 'POST') body = await readJSON(req);
    } catch (err) {
      return jsonError(res, err.status ?? 400, -32700, err.message);
    }
    try {
      if (mode !== 'sse' && url.pathname !== '/mcp') return jsonError(res, 404, -32000, 'Not found');
      await handle(req, res, body, url);
    } catch (err) {
      log(`error: ${err.stack}`);
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal server error');
    }
  });
  // PORT=0 picks a free port; the first line on stdout says which.
  server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`tssdk-interop: ${mode} on port ${server.address().port}`));
} else {
  console.error('usage: node server.mjs stateful|stateless|sse|stdio (PORT for the HTTP modes)');
  process.exit(2);
}
