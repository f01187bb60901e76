// 4. POST /api/v1/messages under 32 concurrent clients for 5 s, on one channel (4a) and spread over 16
// channels (4b), each against the floor's throughput measured just before it (the machine is shared,
// so the ratio compares like moments).
import { closedLoop, getOk, round } from "../lib.mjs";
import { fmtStats } from "../report.mjs";

const CLIENTS = 32;
const LOADS = [
  { row: "4a", channels: 1 },
  { row: "4b", channels: 16 },
];

export default {
  id: "4",
  rows: ["4a", "4b"],
  title: "POST /api/v1/messages, 32 concurrent clients, 1 channel and 16 channels",
  needs: ["app"],
  async run({ url, nod, app, record, wants }) {
    const parts = [];
    let one; // 4a's run, for 4b's scaling (when both run)
    for (const { row, channels } of LOADS.filter((l) => wants(l.row))) {
      const agents = [];
      for (let i = 0; i < channels; i++) agents.push(await nod.newAgent(`Bench load ${channels}.${i}`));
      // Each client has its own key (scoped to its channel): one key is rate limited to 6,000 requests
      // a minute (100/s), which would otherwise cap the channel rather than the app.
      const clients = [];
      for (let i = 0; i < CLIENTS; i++) {
        const agent = agents[i % channels];
        clients.push({ channelId: agent.channelId, apiKey: await nod.newKey([agent.channelId], `bench load client ${i}`) });
      }
      for (const c of clients) await nod.post(c, { text: "first" }); // every room has read its seq, every key is warm
      const floorNow = await closedLoop(app, CLIENTS, 3000, getOk(`${url}/api/docs`));
      const bench0 = process.cpuUsage();
      let n = 0;
      const run = await closedLoop(app, CLIENTS, 5000, async (i) => {
        const c = clients[i];
        const res = await nod.agent(c.apiKey, "POST", "/api/v1/messages", { channelId: c.channelId, text: `load ${n++}` });
        return res.status === 201;
      });
      const seconds = run.ms / 1000;
      const benchCpu = process.cpuUsage(bench0);
      const cpu = {
        workerdCores: Number(run.workerdCores.toFixed(2)),
        benchCores: Number(((benchCpu.user + benchCpu.system) / 1e6 / seconds).toFixed(2)),
        workerdCpuMsPerPost: Number(run.workerdCpuMsPerRequest.toFixed(2)),
        ofWhichDevProxy: Number(run.devProxyCpuMsPerRequest.toFixed(2)),
        workerdCpuMsPerFloorRequest: Number(floorNow.workerdCpuMsPerRequest.toFixed(2)),
        floorOfWhichDevProxy: Number(floorNow.devProxyCpuMsPerRequest.toFixed(2)),
      };
      const ratio = run.perSecond / floorNow.perSecond;
      if (channels === 1) one = run;
      const scaling = channels > 1 && one ? ` (${(run.perSecond / one.perSecond).toFixed(2)}× one channel)` : "";
      record({
        id: row,
        name: `POST /api/v1/messages, 32 clients, ${channels} channel${channels > 1 ? "s" : ""}`,
        result: `${Math.round(run.perSecond)} msg/s${run.errors ? `, ${run.errors} errors` : ""}${scaling}; workerd ${cpu.workerdCpuMsPerPost} ms CPU per POST (${cpu.ofWhichDevProxy} in the dev proxy; floor ${cpu.workerdCpuMsPerFloorRequest}), ${cpu.workerdCores} cores busy`,
        stats: run.latency,
        baseline: { name: "floor, 32 clients, just before", value: `${Math.round(floorNow.perSecond)} req/s, p99 ${Math.round(floorNow.latency.p99)} ms` },
        ratio,
        ratioNote: "messages/s ÷ floor requests/s",
        // Issue 19's targets, each a ratio to the floor route measured just before (absolute figures vary 2× with load).
        target: channels === 1 ? "≥ 0.6× the floor's rate, p99 ≤ 2× the floor's p99, CPU per POST ≤ 1.8× the floor's" : "report the scaling",
        met:
          channels === 1
            ? ratio >= 0.6 &&
              run.latency.p99 <= 2 * floorNow.latency.p99 &&
              run.workerdCpuMsPerRequest <= 1.8 * floorNow.workerdCpuMsPerRequest &&
              run.errors === 0
            : undefined,
        extra: {
          messages: run.ok,
          errors: run.errors,
          seconds: Number(seconds.toFixed(2)),
          perSecond: Number(run.perSecond.toFixed(1)),
          floorJustBefore: { perSecond: Number(floorNow.perSecond.toFixed(1)), ...round(floorNow.latency) },
          cpu,
        },
      });
      parts.push(
        `${channels} ch: ${Math.round(run.perSecond)} msg/s (floor just before ${Math.round(floorNow.perSecond)} req/s), ${fmtStats(run.latency)}, workerd ${cpu.workerdCpuMsPerPost} ms CPU per POST`,
      );
    }
    return parts.join("; ");
  },
};
