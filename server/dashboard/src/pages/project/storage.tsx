// The project's storage tab: buckets (create, delete, force-delete one that holds objects), the objects of the chosen
// bucket (upload by drop or by file input, download, delete) and signed URLs to share one object for a while.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { z } from "zod";
import type { Bucket as BucketSchema, SignedUrl as SignedUrlSchema, StoredObject as StoredObjectSchema, UploadedObject as UploadedObjectSchema } from "../../../../../contract/storage";
import { API, ApiError, api, seg } from "../../api";
import { ACTIONS, ConfirmButton, CopyButton, ErrorMessage, Field, LoadState, Pager, Table, fieldError, formatBytes, formatDate, useAction, usePaged, useQueryState } from "../../ui";
import type { TabProps } from "../projects";

type Bucket = z.infer<typeof BucketSchema>;
type StoredObject = z.infer<typeof StoredObjectSchema>;
type SignedUrl = z.infer<typeof SignedUrlSchema>;
type UploadedObject = z.infer<typeof UploadedObjectSchema>;

/** An object's API path: `<bucket>/<key>` with each segment percent-encoded (keys may hold '/'). */
const objectPath = (projectId: string, bucket: string, key: string) =>
  `/projects/${seg(projectId)}/storage/objects/${[bucket, ...key.split("/")].map(seg).join("/")}`;

/** The expiries offered for a signed URL (the API allows 1 s to 7 days). */
const EXPIRIES = [
  { seconds: 300, label: "5 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 7 * 86_400, label: "7 days" },
] as const;

export function StorageTab({ project }: TabProps) {
  const buckets = usePaged<Bucket>(`/projects/${seg(project.id)}/storage/buckets`);
  const [chosen, setChosen] = useQueryState("bucket");
  const list = buckets.data?.data;
  // The chosen bucket is open; the first one until a bucket is chosen, or once the chosen one is deleted.
  const open = list?.find((bucket) => bucket.name === chosen) ?? list?.[0];
  return (
    <>
      <section aria-labelledby="buckets-title">
        <h2 id="buckets-title">Buckets</h2>
        <LoadState loaded={buckets}>
          {() =>
            list?.length ? (
              <>
                <BucketTable projectId={project.id} buckets={list} open={open?.name} onOpen={setChosen} onDeleted={buckets.reload} />
                <Pager page={buckets.data} offset={buckets.offset} limit={buckets.limit} setOffset={buckets.setOffset} label="Buckets" />
              </>
            ) : (
              <p>No buckets yet. A bucket holds files (objects); create one below.</p>
            )
          }
        </LoadState>
        <NewBucket
          projectId={project.id}
          onCreated={(name) => {
            setChosen(name);
            buckets.reload();
          }}
        />
      </section>
      {open ? <Objects key={open.name} projectId={project.id} bucket={open} /> : null}
    </>
  );
}

function BucketTable({ projectId, buckets, open, onOpen, onDeleted }: { projectId: string; buckets: Bucket[]; open: string | undefined; onOpen: (name: string) => void; onDeleted: () => void }) {
  const { error, setError, run } = useAction();
  /** A bucket the API would not delete because it holds objects: asked again, with force. */
  const [notEmpty, setNotEmpty] = useState<{ name: string; objects: number } | null>(null);
  const remove = (name: string, force: boolean) =>
    run(async () => {
      setNotEmpty(null);
      try {
        await api("DELETE", `/projects/${seg(projectId)}/storage/buckets/${seg(name)}`, { query: { force: force ? "true" : undefined } });
      } catch (caught) {
        if (caught instanceof ApiError && caught.status === 409 && caught.code === "bucket_not_empty") {
          const objects = caught.details["objects"];
          setNotEmpty({ name, objects: typeof objects === "number" ? objects : NaN });
          return;
        }
        throw caught;
      }
      onDeleted();
    });
  return (
    <>
      <Table caption="Buckets" headers={["Name", "Visibility", "Created", ACTIONS]}>
        {buckets.map((bucket) => (
          <tr key={bucket.id}>
            <td>
              <button type="button" class="link" aria-current={bucket.name === open ? "true" : undefined} onClick={() => onOpen(bucket.name)}>
                {bucket.name}
              </button>
            </td>
            <td>{bucket.public ? <span class="badge">public</span> : "private"}</td>
            <td>{formatDate(bucket.created_at)}</td>
            <td>
              <ConfirmButton label="Delete bucket" subject={bucket.name} confirm="Delete" question={`Delete bucket "${bucket.name}"?`} onConfirm={() => remove(bucket.name, false)} />
            </td>
          </tr>
        ))}
      </Table>
      <ErrorMessage error={error} />
      {notEmpty ? (
        <div class="warning" role="alert">
          <p>
            Bucket "{notEmpty.name}" holds {Number.isNaN(notEmpty.objects) ? "objects" : `${notEmpty.objects} object${notEmpty.objects === 1 ? "" : "s"}`}, so it was not deleted. Delete
            its objects first, or delete the bucket with them.
          </p>
          <div class="actions">
            <ConfirmButton
              label="Delete bucket and objects"
              confirm="Delete all"
              question={`Delete bucket "${notEmpty.name}" and every object in it? This cannot be undone.`}
              onConfirm={() => remove(notEmpty.name, true)}
            />
            <button
              type="button"
              class="secondary outline"
              onClick={() => {
                setNotEmpty(null);
                setError(undefined);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      ) : null}
    </>
  );
}

function NewBucket({ projectId, onCreated }: { projectId: string; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [isPublic, setPublic] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const bucket = await api<Bucket>("POST", `/projects/${seg(projectId)}/storage/buckets`, { body: { name, public: isPublic } });
      setName("");
      setPublic(false);
      onCreated(bucket.name);
    });
  };
  return (
    <form onSubmit={submit} aria-labelledby="new-bucket-title">
      <h3 id="new-bucket-title">New bucket</h3>
      <Field label="Bucket name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} hint="3 to 63 lowercase letters, digits, '-' and '.', e.g. 'avatars'." />
      <label>
        <input type="checkbox" name="public" checked={isPublic} onChange={(event) => setPublic(event.currentTarget.checked)} />
        Public: anyone can download its objects without a token
      </label>
      <ErrorMessage error={error} fields={["name"]} />
      <button type="submit" aria-busy={busy} disabled={busy}>
        Create bucket
      </button>
    </form>
  );
}

function Objects({ projectId, bucket }: { projectId: string; bucket: Bucket }) {
  const objects = usePaged<StoredObject>(`/projects/${seg(projectId)}/storage/objects`, { bucket: bucket.name });
  const [signing, setSigning] = useState<StoredObject | null>(null);
  const { error, run } = useAction();
  const remove = (object: StoredObject) =>
    run(async () => {
      await api("DELETE", objectPath(projectId, bucket.name, object.name));
      if (signing?.key === object.key) setSigning(null);
      objects.reload();
    });
  const download = (object: StoredObject) =>
    run(async () => {
      // A link cannot carry the session's Authorization header. Fetching the bytes as a blob would hold the whole
      // object in the page's memory before saving it; a signed URL good for a minute lets the browser stream it to
      // disk itself, and keeps the session's token out of any URL.
      const signed = await api<SignedUrl>("POST", `/projects/${seg(projectId)}/storage/sign`, { body: { bucket: bucket.name, key: object.name, expires_in: 60 } });
      const link = document.createElement("a");
      link.href = sameOrigin(signed.url);
      link.download = object.name.split("/").pop() ?? object.name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    });
  const titleId = useId();
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>
        Objects in <code>{bucket.name}</code>
        {bucket.public ? <span class="badge">public</span> : null}
      </h2>
      <Upload
        projectId={projectId}
        bucket={bucket.name}
        onUploaded={() => {
          objects.setOffset(0);
          objects.reload();
        }}
      />
      <ErrorMessage error={error} />
      <LoadState loaded={objects}>
        {() =>
          objects.data?.data.length ? (
            <>
              <Table caption={`Objects in ${bucket.name}`} headers={["Key", "Size", "Content type", "Updated", ACTIONS]}>
                {objects.data.data.map((object) => (
                  <tr key={object.key}>
                    <td>
                      <code>{object.name}</code>
                    </td>
                    <td>{formatBytes(object.size)}</td>
                    <td>{object.content_type}</td>
                    <td>{formatDate(object.updated_at)}</td>
                    <td>
                      <div class="actions">
                        <button type="button" class="outline" aria-label={`Download ${object.name}`} onClick={() => void download(object)}>
                          Download
                        </button>
                        <button type="button" class="outline" aria-label={`Signed URL of ${object.name}`} onClick={() => setSigning(object)}>
                          Signed URL
                        </button>
                        <ConfirmButton label="Delete object" subject={object.name} confirm="Delete" question={`Delete "${object.name}" from ${bucket.name}? This cannot be undone.`} onConfirm={() => remove(object)} />
                      </div>
                    </td>
                  </tr>
                ))}
              </Table>
              <Pager page={objects.data} offset={objects.offset} limit={objects.limit} setOffset={objects.setOffset} label="Objects" />
            </>
          ) : (
            <p>No objects in this bucket yet.</p>
          )
        }
      </LoadState>
      {signing ? <SignForm key={signing.key} projectId={projectId} bucket={bucket.name} object={signing} onClose={() => setSigning(null)} /> : null}
    </section>
  );
}

/**
 * A signed URL made for the page's own use, on the page's origin: the API answers it on its public URL (which may be
 * another host behind a proxy), and `<a download>` is honoured only for a same-origin link. The signature covers the
 * path under /v1 and the expiry, both kept.
 */
function sameOrigin(url: string): string {
  const parsed = new URL(url, location.href);
  const at = parsed.pathname.indexOf("/projects/");
  return at < 0 ? parsed.href : `${API}${parsed.pathname.slice(at)}${parsed.search}`;
}

function Upload({ projectId, bucket, onUploaded }: { projectId: string; bucket: string; onUploaded: () => void }) {
  const [key, setKey] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const [done, setDone] = useState<UploadedObject[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const { busy, error, run } = useAction();
  const fileId = useId();

  const upload = (files: File[]) =>
    run(async () => {
      setDone([]);
      const uploaded: UploadedObject[] = [];
      for (const one of files) {
        const form = new FormData();
        form.append("bucket", bucket);
        // The key given applies to a single file; otherwise each file keeps its own name (the API alone would
        // give it a random one).
        form.append("key", files.length === 1 && key.trim() ? key.trim() : one.name);
        form.append("file", one, one.name);
        uploaded.push(await api<UploadedObject>("POST", `/projects/${seg(projectId)}/storage/objects`, { form }));
        setDone([...uploaded]);
      }
      setKey("");
      setFile(null);
      if (input.current) input.current.value = "";
      onUploaded();
    });

  const submit = (event: Event) => {
    event.preventDefault();
    if (file) void upload([file]);
  };
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 0 && !busy) void upload(files);
  };
  return (
    <>
      <div
        class={over ? "drop-zone over" : "drop-zone"}
        data-testid="drop-zone"
        onDragEnter={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragOver={(event) => {
          event.preventDefault();
          if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
        }}
        onDragLeave={(event) => {
          if (!(event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget))) setOver(false);
        }}
        onDrop={drop}
      >
        <p>
          Drop files here to upload them to <code>{bucket}</code>, or choose a file below.
        </p>
      </div>
      <form onSubmit={submit} aria-label={`Upload to ${bucket}`}>
        <div class="grid">
          <label for={fileId}>
            File
            <input id={fileId} ref={input} type="file" name="file" required onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)} />
            {fieldError(error, "file") ? <small class="error">{fieldError(error, "file")}</small> : null}
          </label>
          <Field label="Object key (optional)" name="key" value={key} onInput={setKey} error={fieldError(error, "key")} hint="Where it goes in the bucket, e.g. docs/readme.txt; by default the file's name. An object with the same key is replaced." />
        </div>
        <ErrorMessage error={error} fields={["file", "key"]} />
        <button type="submit" aria-busy={busy} disabled={busy || !file}>
          Upload
        </button>
      </form>
      <p role="status">{done.length > 0 ? `Uploaded ${done.map((object) => `${object.key.slice(bucket.length + 1)} (${formatBytes(object.size)})`).join(", ")}.` : null}</p>
    </>
  );
}

function SignForm({ projectId, bucket, object, onClose }: { projectId: string; bucket: string; object: StoredObject; onClose: () => void }) {
  const [expiresIn, setExpiresIn] = useState<number>(3600);
  const [signed, setSigned] = useState<SignedUrl | null>(null);
  const { busy, error, run } = useAction();
  const select = useRef<HTMLSelectElement>(null);
  const titleId = useId();
  // Focus follows the user to the form they opened from the table.
  useEffect(() => select.current?.focus(), []);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setSigned(await api<SignedUrl>("POST", `/projects/${seg(projectId)}/storage/sign`, { body: { bucket, key: object.name, expires_in: expiresIn, method: "GET" } }));
    });
  };
  return (
    <article aria-labelledby={titleId}>
      <h3 id={titleId}>
        Signed URL for <code>{object.name}</code>
      </h3>
      <p>Anyone with a signed URL can download this object, without signing in, until it expires.</p>
      <form onSubmit={submit}>
        <label>
          Expires in
          <select ref={select} name="expires_in" value={String(expiresIn)} onChange={(event) => setExpiresIn(Number(event.currentTarget.value))}>
            {EXPIRIES.map((expiry) => (
              <option key={expiry.seconds} value={String(expiry.seconds)}>
                {expiry.label}
              </option>
            ))}
          </select>
        </label>
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="submit" aria-busy={busy} disabled={busy}>
            Create signed URL
          </button>
          <button type="button" class="secondary outline" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {signed ? <SignedResult signed={signed} /> : null}
    </article>
  );
}

function SignedResult({ signed }: { signed: SignedUrl }) {
  const id = useId();
  return (
    <div>
      <label for={id}>Signed URL</label>
      <fieldset role="group">
        <input id={id} type="text" readOnly value={signed.url} onFocus={(event) => event.currentTarget.select()} aria-describedby={`${id}-note`} />
        <CopyButton text={signed.url} label="Copy URL" />
      </fieldset>
      <small id={`${id}-note`}>Valid until {formatDate(signed.expires_at)}.</small>
    </div>
  );
}
