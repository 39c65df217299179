// A Worker using @azure/storage-blob with entra-edge's ClientSecretCredential: a container, a
// blob up and down, a listing. Built from the SDK's Node code for nodejs_compat: its browser
// build needs the DOM (document, DOMParser) to parse XML, which Workers do not have.
import { BlobServiceClient } from "@azure/storage-blob";
import { ClientSecretCredential } from "entra-edge";

export default {
  async fetch(request, env) {
    try {
      const credential = new ClientSecretCredential(env.TENANT_ID, env.CLIENT_ID, env.CLIENT_SECRET, { authorityHost: env.AUTHORITY_HOST });
      const container = new BlobServiceClient(env.AZURITE_URL, credential).getContainerClient(`workerd-${Date.now()}`);
      await container.create();
      const blob = container.getBlockBlobClient("hello.txt");
      await blob.upload("hello from workerd", 18);
      const chunks = [];
      for await (const chunk of (await blob.download()).readableStreamBody) chunks.push(chunk);
      const names = [];
      for await (const b of container.listBlobsFlat()) names.push(b.name);
      return Response.json({ text: Buffer.concat(chunks).toString(), names });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
