// The options every fuzzer runner takes (scripts/fuzz.mjs, scripts/fuzz-frames.mjs):
// run length, seed, batch sizes, Ghost's memory and its bound, the hang
// watchdog, shrinking and where results go. `extra` adds a runner's own
// options: name -> (o, next) => void.

export function parseFuzzArgs(argv, defaults, extra = {}) {
  const o = { seconds: 60, seed: 1, first: 0, mem: "256M", rssLimit: 0, hang: 60, shrink: true, json: "", ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--seconds": o.seconds = Number(next()); break;
      case "--seed": o.seed = Number(next()); break;
      case "--first": o.first = Number(next()); break;
      case "--batch": o.batch = Number(next()); break;
      case "--chunk": o.chunk = Number(next()); break;
      case "--mem": o.mem = next(); break;
      case "--rss-limit": o.rssLimit = Number(next()); break;
      case "--hang": o.hang = Number(next()); break;
      case "--no-shrink": o.shrink = false; break;
      case "--out": o.out = next(); break;
      case "--json": o.json = next(); break;
      default:
        if (!extra[a]) throw new Error(`unknown option ${a}`);
        extra[a](o, next);
    }
  }
  // Ghost's memory bound (README, "Memory bound"): guest RAM plus a fixed overhead.
  if (!o.rssLimit) o.rssLimit = memMiB(o.mem) + 300;
  return o;
}

export function memMiB(s) {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad --mem ${s}`);
  const n = Number(m[1]);
  return { "": n / 2 ** 20, K: n / 1024, M: n, G: n * 1024 }[m[2].toUpperCase()];
}
