// system.refreshTimer in workerd and the Edge runtime: refused at construction (a schedule comes
// from the platform there: a Cron Trigger, a Vercel Cron Job).
import { ConfidentialClientApplication } from "entra-edge";

export default {
  async fetch() {
    try {
      new ConfidentialClientApplication({
        auth: { clientId: "c", authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com", clientSecret: "s" },
        system: { refreshTimer: true },
      });
      return Response.json({ constructed: true });
    } catch (e) {
      return Response.json({ name: e.name, errorCode: e.errorCode, schedule: /Vercel Cron Job|Cron Trigger/.exec(e.message)?.[0] ?? null });
    }
  },
};
