/**
 * Add a certificate: a name, whether it is a CA, the certificate (pasted or from a file), its
 * private key and the CA that issued it (both optional; the CA is added as a trusted CA of its
 * own), and its uses. Checked with the add_certificate schema before anything is sent; what
 * only the node can check (the PEM parses, the key matches, a CA really is one) comes back in
 * the node's own words.
 */
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { addCertificateMutation, addCertificateSchema, certificateNameSchema, pemProblem } from '../../api/operations/add-certificate.ts';
import type { CertificateRecord } from '../../api/operations/list-certificates.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { parseUses } from './model.ts';
import { EMPTY_PEM, PemField, type PemValue } from './PemField.tsx';

/** Uses offered as checkboxes (anything else goes in "Other uses"). */
const KNOWN_USES = [
  { use: 'wss', text: 'Replication (wss)', hint: 'presented to peers and accepted from them' },
  { use: 'https', text: 'HTTPS (https)', hint: 'the operations API and HTTP over TLS' },
] as const;

type FieldErrors = Partial<Record<'name' | 'certificate' | 'private_key' | 'uses' | 'ca' | 'caName', string>>;

interface AddCertificateDialogProps {
  client: OpsClient;
  nodeLabel: string;
  existing: readonly CertificateRecord[];
  onAdded: (name: string) => void;
  onClose: () => void;
}

function firstErrors(error: z.ZodError, into: FieldErrors): FieldErrors {
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? '') as keyof FieldErrors;
    if (key && !into[key]) into[key] = issue.message;
  }
  return into;
}

export function AddCertificateDialog({ client, nodeLabel, existing, onAdded, onClose }: AddCertificateDialogProps) {
  const id = useId();
  const [name, setName] = useState('');
  const [isAuthority, setIsAuthority] = useState(false);
  const [certificate, setCertificate] = useState<PemValue>(EMPTY_PEM);
  const [privateKey, setPrivateKey] = useState<PemValue>(EMPTY_PEM);
  const [ca, setCa] = useState<PemValue>(EMPTY_PEM);
  const [caName, setCaName] = useState('');
  const [uses, setUses] = useState<string[]>(['wss', 'https']);
  const [otherUses, setOtherUses] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [stage, setStage] = useState<'certificate' | 'ca' | null>(null);
  const add = useMutation(addCertificateMutation(client));

  const trimmedName = name.trim();
  const effectiveCaName = caName.trim() || (trimmedName ? `${trimmedName}-ca` : '');
  const withCa = !isAuthority && ca.text.trim() !== '';
  const request = {
    name,
    certificate: certificate.text,
    is_authority: isAuthority,
    ...(privateKey.text.trim() ? { private_key: privateKey.text } : {}),
    uses: isAuthority ? ['ca', ...parseUses(otherUses)] : [...uses, ...parseUses(otherUses)],
  };
  const parsed = addCertificateSchema.safeParse(request);
  const errors: FieldErrors = parsed.success ? {} : firstErrors(parsed.error, {});
  if (!isAuthority && request.uses.length === 0) errors.uses = 'Pick at least one use, or the node will not use this certificate';
  if (withCa) {
    const caNameCheck = certificateNameSchema.safeParse(effectiveCaName);
    if (!caNameCheck.success) errors.caName = caNameCheck.error.issues[0]?.message ?? 'Not a valid name';
    else if (effectiveCaName === trimmedName) errors.caName = 'The CA needs a name of its own';
    const problem = pemProblem('certificate', ca.text);
    if (problem) errors.ca = problem;
  }
  const valid = Object.keys(errors).length === 0;
  const replaces = existing.some((record) => record.name === trimmedName);
  const replacesCa = withCa && existing.some((record) => record.name === effectiveCaName);

  function toggleUse(use: string, on: boolean) {
    setUses((previous) => (on ? [...previous, use] : previous.filter((u) => u !== use)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (!valid || !parsed.success) return;
    add.reset();
    try {
      setStage('certificate');
      await add.mutateAsync(parsed.data);
      if (withCa) {
        setStage('ca');
        await add.mutateAsync({ name: effectiveCaName, certificate: ca.text, is_authority: true, uses: ['ca'] });
      }
      setStage(null);
      onAdded(parsed.data.name);
    } catch {
      // shown below from add.error, with the stage it failed at
    }
  }

  const show = (field: keyof FieldErrors) => (submitted ? errors[field] : undefined);

  return (
    <Dialog title="Add a certificate" onClose={onClose} wide testId="add-certificate">
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <p className="muted small">
          Added to <strong>{nodeLabel}</strong>. The node checks the certificate and the key; a private key is kept in a file only the node can read and is never
          shown again.
        </p>
        <div className="row wrap align-start">
          <div className="field grow">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. node-1 2026"
              autoFocus
              spellCheck={false}
              aria-invalid={!!show('name')}
              aria-describedby={`${id}-name-note`}
            />
            {show('name') ? (
              <span className="field-error" id={`${id}-name-note`}>
                {show('name')}
              </span>
            ) : replaces ? (
              <span className="field-hint warn-text" id={`${id}-name-note`}>
                A certificate named “{trimmedName}” exists: adding replaces it.
              </span>
            ) : null}
          </div>
          <label className="check kind-check">
            <input type="checkbox" checked={isAuthority} onChange={(e) => setIsAuthority(e.target.checked)} />
            <span>
              Certificate authority (CA)
              <span className="field-hint block">Trusted for peers' certificates it signed. Leave off for a certificate this node presents.</span>
            </span>
          </label>
        </div>

        <PemField kind={isAuthority ? 'certificateAuthority' : 'certificate'} label="Certificate" value={certificate} onChange={setCertificate} error={show('certificate')} />
        <PemField
          kind="privateKey"
          label="Private key"
          optional
          hint={isAuthority ? 'Only if this node should sign peers’ certificates with this CA.' : 'Needed for this node to present the certificate.'}
          value={privateKey}
          onChange={setPrivateKey}
          error={show('private_key')}
        />
        {!isAuthority && (
          <div className="stack tight">
            <PemField kind="certificateAuthority" label="CA certificate" noun="CA certificate" optional hint="The CA that issued it; added as a trusted CA of its own." value={ca} onChange={setCa} error={show('ca')} />
            {ca.text.trim() && (
              <div className="field">
                <label htmlFor={`${id}-ca-name`}>CA name</label>
                <input
                  id={`${id}-ca-name`}
                  value={caName}
                  onChange={(e) => setCaName(e.target.value)}
                  placeholder={effectiveCaName || 'e.g. my-ca'}
                  spellCheck={false}
                  aria-invalid={!!show('caName')}
                  aria-describedby={`${id}-ca-name-note`}
                />
                {show('caName') ? (
                  <span className="field-error" id={`${id}-ca-name-note`}>
                    {show('caName')}
                  </span>
                ) : replacesCa ? (
                  <span className="field-hint warn-text" id={`${id}-ca-name-note`}>
                    A certificate named “{effectiveCaName}” exists: adding replaces it.
                  </span>
                ) : null}
              </div>
            )}
          </div>
        )}

        <fieldset className="field">
          <legend>Uses</legend>
          {isAuthority ? (
            <p className="field-hint">
              <code>ca</code>: trusted when peers connect.
            </p>
          ) : (
            <div className="row wrap uses-choices">
              {KNOWN_USES.map(({ use, text, hint }) => (
                <label key={use} className="check" title={hint}>
                  <input type="checkbox" checked={uses.includes(use)} onChange={(e) => toggleUse(use, e.target.checked)} />
                  <span>{text}</span>
                </label>
              ))}
            </div>
          )}
          <label className="field">
            <span>Other uses (optional, comma-separated)</span>
            <input value={otherUses} onChange={(e) => setOtherUses(e.target.value)} spellCheck={false} aria-invalid={!!show('uses')} aria-describedby={`${id}-uses-note`} />
          </label>
          {show('uses') && (
            <span className="field-error" id={`${id}-uses-note`}>
              {show('uses')}
            </span>
          )}
        </fieldset>

        {add.error != null && (
          <div className="stack tight" data-testid="add-certificate-error">
            {stage === 'ca' && (
              <p className="notice notice-warn">
                The certificate “{trimmedName}” was added; its CA “{effectiveCaName}” was not. Correct the CA and add again (the certificate is replaced by the same one).
              </p>
            )}
            <ErrorNotice error={add.error} testId="add-certificate-server-error" />
          </div>
        )}
        {submitted && !valid && (
          <p className="field-error" role="alert">
            Correct the fields marked above; nothing was sent.
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : replaces ? 'Replace certificate' : 'Add certificate'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
