// Loaded with `node --import` into the audited child: on exit it reports the child's own peak RSS
// and CPU time on stderr, so the benchmark needs no external `time` tool.
process.on('exit', () => {
  const u = process.resourceUsage()
  process.stderr.write(
    `\nSIPWARDEN_BENCH ${JSON.stringify({ maxRssKB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 })}\n`,
  )
})
