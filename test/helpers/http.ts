// A host client for a server that comes up inside the guest: GET a path
// again and again (each try bounded by 5 s, 200 ms apart) until a 200
// answer or the deadline — a forwarded port accepts before the guest's
// server listens, so early tries fail.
import * as http from "node:http";

export async function getUntilServed(host: string, port: number, path: string, withinMs = 60_000): Promise<string> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const got = await new Promise<string>((resolve) => {
      const req = http.get({ host, port, path, timeout: 5000 }, (res) => {
        let d = "";
        res.on("data", (c) => (d += c));
        res.on("end", () => resolve(res.statusCode === 200 ? d : ""));
      });
      req.on("error", () => resolve(""));
      req.on("timeout", () => { req.destroy(); resolve(""); });
    });
    if (got) return got;
    await new Promise((r) => setTimeout(r, 200));
  }
  return "";
}
