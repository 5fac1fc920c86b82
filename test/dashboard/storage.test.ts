// The dashboard's storage tab: a bucket, uploads by file input and by drop, a download, a signed URL that works from
// outside the page, deleting an object, and a bucket that holds objects deleted only when asked again.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(() => dashboard.close());

describe("the storage tab", () => {
  it("creates a bucket, uploads by file input and by drop, downloads, signs a URL that works from outside, deletes", { timeout: 240_000 }, async () => {
    const user = await userWithProject(dashboard.server, "storage");
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/storage`);
    await page.getByText("No buckets yet.").waitFor();

    await page.getByLabel("Bucket name").fill("reports");
    await page.getByRole("button", { name: "Create bucket" }).click();
    await page.getByRole("row", { name: /reports/ }).getByText("private").waitFor();
    await page.getByRole("heading", { name: "Objects in reports" }).waitFor();
    await page.getByText("No objects in this bucket yet.").waitFor();

    // By the labelled file input, under a key of the user's choosing.
    const bytes = Buffer.from(`quarterly numbers\n${"x".repeat(3000)}\n`);
    await page.getByLabel("File", { exact: true }).setInputFiles({ name: "q3.txt", mimeType: "text/plain", buffer: bytes });
    await page.getByLabel("Object key (optional)").fill("2024/q3.txt");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const row = page.getByRole("row", { name: /2024\/q3\.txt/ });
    await row.getByRole("cell", { name: "2.9 KiB" }).waitFor();
    await row.getByRole("cell", { name: "text/plain" }).waitFor();

    // By dropping a file on the drop zone (a DataTransfer, as a browser's drag and drop makes): it keeps its name.
    // (Runs in the page: its DOM classes are reached through globalThis, as the tests' types have no DOM.)
    await page.getByTestId("drop-zone").evaluate((zone) => {
      const { DataTransfer, DragEvent, File } = globalThis as any;
      const transfer = new DataTransfer();
      transfer.items.add(new File(["{\"dropped\":true}"], "dropped.json", { type: "application/json" }));
      zone.dispatchEvent(new DragEvent("dragenter", { bubbles: true, cancelable: true, dataTransfer: transfer }));
      zone.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: transfer }));
      zone.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: transfer }));
    });
    const dropped = page.getByRole("row", { name: /dropped\.json/ });
    await dropped.getByRole("cell", { name: "16 B" }).waitFor();
    await dropped.getByRole("cell", { name: "application/json" }).waitFor();

    // A download is the object's bytes, under its name.
    const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("button", { name: "Download" }).click()]);
    expect(download.suggestedFilename()).toBe("q3.txt");
    expect(await readFile(await download.path())).toEqual(bytes);

    // A signed URL with a chosen expiry, read from the page, fetched from outside it without a token.
    await row.getByRole("button", { name: "Signed URL" }).click();
    await page.getByLabel("Expires in").selectOption({ label: "5 minutes" });
    const before = Date.now();
    await page.getByRole("button", { name: "Create signed URL" }).click();
    const field = page.getByRole("textbox", { name: "Signed URL" });
    await expect.poll(() => field.inputValue()).toMatch(/^http/);
    expect(await field.getAttribute("readonly")).not.toBeNull();
    await page.getByRole("button", { name: "Copy URL" }).waitFor();
    const url = new URL(await field.inputValue());
    const expires = Number(url.searchParams.get("expires")) * 1000;
    expect(expires).toBeGreaterThan(before + 4 * 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 5 * 60_000 + 1000);
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(bytes);
    await dashboard.screenshot(page, "storage");

    // Deleting an object asks first.
    await row.getByRole("button", { name: "Delete object" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
    await row.waitFor({ state: "detached" });
    const listed = await dashboard.server.api.get(`/projects/${user.projectId}/storage/objects?bucket=reports`, { token: user.token });
    expect(listed.body.data.map((object: { name: string }) => object.name)).toEqual(["dropped.json"]);
    expect((await fetch(url)).status).toBe(404);

    // A bucket that still holds an object is not deleted until the user confirms deleting it with its objects.
    await page.getByRole("row", { name: /reports/ }).getByRole("button", { name: "Delete bucket" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("alert").getByText('Bucket "reports" holds 1 object').waitFor();
    expect((await dashboard.server.api.get(`/projects/${user.projectId}/storage/buckets/reports`, { token: user.token })).status).toBe(200);
    await page.getByRole("button", { name: "Delete bucket and objects" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete all" }).click();
    await page.getByText("No buckets yet.").waitFor();
    expect((await dashboard.server.api.get(`/projects/${user.projectId}/storage/buckets/reports`, { token: user.token })).status).toBe(404);
  });

  it("fits a narrow screen: the objects table scrolls inside itself, not the page", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "storage-narrow");
    const api = dashboard.server.api;
    expect((await api.post(`/projects/${user.projectId}/storage/buckets`, { token: user.token, body: { name: "media", public: true } })).status).toBe(201);
    const put = await api.request("PUT", `/projects/${user.projectId}/storage/objects/media/images/a-rather-long-folder-name/banner-1920x1080.png`, { token: user.token, raw: Buffer.alloc(2048, 1), headers: { "content-type": "image/png" } });
    expect(put.status).toBe(201);
    const page = await dashboard.newPage({ narrow: true });
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/storage`);
    await page.getByRole("row", { name: /media/ }).getByText("public").waitFor();
    await page.getByRole("row", { name: /banner-1920x1080\.png/ }).getByRole("cell", { name: "2.0 KiB" }).waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBeLessThanOrEqual(0);
    await dashboard.screenshot(page, "storage-narrow");
  });
});
