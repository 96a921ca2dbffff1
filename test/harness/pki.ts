/**
 * Certificates and keys for the test control plane, made with the openssl CLI: a cluster CA that signs
 * client certificates (the user is the certificate's CN, its groups the O fields, as in a real
 * cluster) and the RSA key pair that signs ServiceAccount tokens.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  saKey: string;
  saPub: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function createPki(dir: string): Pki {
  const pki: Pki = {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
  openssl(["genrsa", "-out", pki.caKey, "2048"], dir);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      pki.caKey,
      "-subj",
      "/CN=busca-ativa-test-ca",
      "-days",
      "3650",
      "-out",
      pki.caCert,
    ],
    dir,
  );
  openssl(["genrsa", "-out", pki.saKey, "2048"], dir);
  openssl(["rsa", "-in", pki.saKey, "-pubout", "-out", pki.saPub], dir);
  return pki;
}

/**
 * A key and a certificate for `subject` with the given extensions (openssl's extfile syntax), signed by the
 * cluster CA; files `<base>.key` and `<base>.crt`.
 */
function signedCertificate(pki: Pki, base: string, subject: string, extensions: string): void {
  openssl(["genrsa", "-out", `${base}.key`, "2048"], pki.dir);
  openssl(["req", "-new", "-key", `${base}.key`, "-subj", subject, "-out", `${base}.csr`], pki.dir);
  writeFileSync(`${base}.ext`, extensions);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      pki.caCert,
      "-CAkey",
      pki.caKey,
      "-CAcreateserial",
      "-days",
      "365",
      "-extfile",
      `${base}.ext`,
      "-out",
      `${base}.crt`,
    ],
    pki.dir,
  );
}

/** A serving certificate for 127.0.0.1 and localhost, signed by the cluster CA. Returns file paths. */
export function servingCertificate(pki: Pki, name: string): { certFile: string; keyFile: string } {
  const base = join(pki.dir, name);
  signedCertificate(
    pki,
    base,
    `/CN=${name}`,
    "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n" +
      "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  return { certFile: `${base}.crt`, keyFile: `${base}.key` };
}

/** A client certificate for `user` in `groups`, signed by the cluster CA. Returns PEM strings. */
export function clientCertificate(pki: Pki, user: string, groups: string[]): { cert: string; key: string } {
  const base = join(
    pki.dir,
    `client-${sanitize(user)}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
  );
  const subject = `/CN=${escape(user)}${groups.map((g) => `/O=${escape(g)}`).join("")}`;
  signedCertificate(
    pki,
    base,
    subject,
    "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  return {
    cert: readFileSync(`${base}.crt`, "utf8"),
    key: readFileSync(`${base}.key`, "utf8"),
  };
}

function sanitize(value: string): string {
  return value.replace(/[^a-zA-Z0-9-]/g, "_");
}

function escape(value: string): string {
  return value.replace(/\//g, "\\/");
}
