// system.refreshTimer in workerd: refused at construction (Workers use a Cron Trigger).
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
      return Response.json({ name: e.name, errorCode: e.errorCode, mentionsCron: /Cron Trigger/.test(e.message) });
    }
  },
};
