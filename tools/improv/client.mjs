// The real Improv Serial client (npm improv-wifi-serial-sdk, the library esp-web-tools uses) driven from Node
// over a board's console: a small Web Serial shim gives it the port's readable and writable streams.
//
//   node client.mjs --fd N|--tty PATH STEP...
//
// --fd: an open, non-blocking file descriptor (a pseudo-terminal's master the test made); --tty: a serial
// device's path (the emulated Pico's console), put in raw mode first. Reads never block a thread (Node waits for
// its threads at exit): an empty read is tried again 10 ms later. Each STEP is run in turn and prints one JSON line:
//   initialize                 -> {"step", "info", "state", "nextUrl"}
//   provision SSID PASSWORD    -> {"step", "nextUrl", "state"} or {"step", "error"}
//   scan                       -> {"step", "ssids"} or {"step", "error"}
//   state                      -> {"step", "state", "nextUrl"}
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { register } from "node:module";

// The SDK's dist imports "./util/hex-formatter" with no extension, as a bundler allows and Node does not.
register("data:text/javascript," + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (e) { if (specifier.startsWith(".") && !specifier.endsWith(".js")) return next(specifier + ".js", context); throw e; }
}`), import.meta.url);
const { ImprovSerial } = await import("improv-wifi-serial-sdk/dist/serial.js");

const args = process.argv.slice(2);
let fd;
if (args[0] === "--fd") {
  fd = Number(args[1]);
} else if (args[0] === "--tty") {
  execFileSync("stty", ["-F", args[1], "raw", "-echo", "115200"]);
  fd = fs.openSync(args[1], fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
} else {
  console.error("usage: node client.mjs --fd N|--tty PATH STEP...");
  process.exit(2);
}
const steps = args.slice(2);

/** Web Serial's SerialPort, as much of it as the SDK uses: readable and writable byte streams. */
function serialPort(fd) {
  let closed = false;
  const readable = new ReadableStream({
    async pull(controller) {
      // Resolves once something is enqueued (or the stream closed): a pull that gives nothing is not called again.
      while (!closed) {
        const buffer = Buffer.alloc(256);
        const n = await new Promise((resolve) => {
          fs.read(fd, buffer, 0, buffer.length, null, (err, got) => resolve(err ? (err.code === "EAGAIN" ? -1 : 0) : got));
        });
        if (n > 0) {
          controller.enqueue(new Uint8Array(buffer.subarray(0, n)));
          return;
        }
        if (n === 0) {
          closed = true;
          controller.close();
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    cancel() { closed = true; },
  });
  const writable = new WritableStream({
    async write(chunk) {
      let data = Buffer.from(chunk);
      while (data.length) {
        try {
          data = data.subarray(fs.writeSync(fd, data));
        } catch (e) {
          if (e.code !== "EAGAIN") throw e;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    },
  });
  return { readable, writable };
}

const logger = { log() {}, debug() {}, error(...a) { if (process.env.IMPROV_DEBUG) console.error(...a); } };
const client = new ImprovSerial(serialPort(fd), logger);
const out = (o) => console.log(JSON.stringify(o));
let i = 0;
while (i < steps.length) {
  const step = steps[i++];
  try {
    if (step === "initialize") {
      const info = await client.initialize(5000);
      out({ step, info, state: client.state, nextUrl: client.nextUrl ?? null });
    } else if (step === "provision") {
      const ssid = steps[i++], password = steps[i++];
      await client.provision(ssid, password, 30000);
      out({ step, nextUrl: client.nextUrl ?? null, state: client.state });
    } else if (step === "scan") {
      out({ step, ssids: await client.scan(10000) });
    } else if (step === "state") {
      await client.requestCurrentState(5000);
      out({ step, state: client.state, nextUrl: client.nextUrl ?? null });
    } else {
      out({ step, error: "unknown step" });
    }
  } catch (e) {
    out({ step, error: String(e && e.message ? e.message : e), state: client.state ?? null });
  }
}
process.exit(0);
