// The reference app for bench/compare.sh: a Probot app that receives every delivery
// (Probot verifies X-Hub-Signature-256 itself) and only logs it, one line per delivery,
// at info level: the same as tacit's one `webhook` info line per delivery. Both are run
// with LOG_LEVEL=warn in the comparison, so neither writes a line per delivery.
export default (app) => {
  app.onAny(async (context) => {
    context.log.info({ id: context.id, event: context.name }, "webhook");
  });
};
