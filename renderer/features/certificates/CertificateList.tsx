/**
 * The node's certificates as a table: kind (CA or leaf, self-signed), name, subject, names
 * (SANs), serial, validity as colour and word, uses, and a remove button. Rows are a keyboard
 * list: ↑/↓, Home/End move, Enter or Space opens the details.
 */
import type { CertificateRecord } from '../../api/operations/list-certificates.ts';
import { IconButton } from '../../components/IconButton.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useRovingFocus } from '../../components/use-roving-focus.ts';
import { commonName, expiryOf, shortSerial, subjectAltNames } from './model.ts';
import { formatDistinguishedName, isSelfSigned } from './dn.ts';

interface CertificateListProps {
  records: CertificateRecord[];
  selected: string | null;
  nowMs: number;
  onOpen: (name: string) => void;
  onRemove: (name: string) => void;
}

export function KindTags({ record }: { record: CertificateRecord }) {
  return (
    <>
      {record.is_authority ? (
        <span className="tag tag-ca" title="Certificate authority: trusted for the certificates it signed">
          CA
        </span>
      ) : (
        <span className="tag tag-leaf" title="Leaf certificate: presented by a node">
          Leaf
        </span>
      )}
      {isSelfSigned(record) && (
        <span className="tag tag-self" title="Self-signed: its issuer is itself">
          Self-signed
        </span>
      )}
    </>
  );
}

export function UsesList({ uses }: { uses: readonly string[] | null | undefined }) {
  if (!uses || uses.length === 0) return <span className="muted">none</span>;
  return (
    <span className="chips">
      {uses.map((use) => (
        <span key={use} className="chip">
          {use}
        </span>
      ))}
    </span>
  );
}

export function CertificateList({ records, selected, nowMs, onOpen, onRemove }: CertificateListProps) {
  const onKeyDown = useRovingFocus('vertical');
  const anySelected = selected !== null && records.some((r) => r.name === selected);
  return (
    <div className="grid-scroll cert-list">
      <table className="grid cert-grid" data-testid="certificates-table" aria-label="Certificates">
        <thead>
          <tr>
            <th scope="col">Certificate</th>
            <th scope="col">Subject · names (SANs)</th>
            <th scope="col">Serial</th>
            <th scope="col">Validity</th>
            <th scope="col">Uses</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody onKeyDown={onKeyDown}>
          {records.map((record, index) => {
            const isSelected = record.name === selected;
            const expiry = expiryOf(record, nowMs);
            const details = record.details ?? {};
            const names = subjectAltNames(details.subject_alt_name);
            const validTo = details.valid_to ? new Date(details.valid_to) : null;
            return (
              <tr
                key={record.name}
                data-roving-item
                data-testid={`certificate-${record.name}`}
                tabIndex={isSelected || (!anySelected && index === 0) ? 0 : -1}
                className={`${isSelected ? 'selected' : ''} expiry-${expiry.state}`}
                aria-selected={isSelected}
                aria-label={`${record.name}, ${record.is_authority ? 'certificate authority' : 'leaf certificate'}${isSelfSigned(record) ? ', self-signed' : ''}, ${expiry.label}`}
                onClick={() => onOpen(record.name)}
                onKeyDown={(event) => {
                  if (event.target !== event.currentTarget) return;
                  if (event.key === 'Enter' || event.key === ' ') {
                    event.preventDefault();
                    onOpen(record.name);
                  } else if (event.key === 'Delete') {
                    event.preventDefault();
                    onRemove(record.name);
                  }
                }}
              >
                <td>
                  <span className="clip cert-name" title={record.name}>
                    {record.name}
                  </span>
                  <span className="cert-kind">
                    <KindTags record={record} />
                  </span>
                </td>
                <td>
                  <span className="clip cert-subject" title={details.subject}>
                    {commonName(details.subject) || <span className="muted">—</span>}
                  </span>
                  <span className="clip cert-sans muted small" title={names.join(', ')}>
                    {names.length ? names.join(', ') : 'no alternative names'}
                  </span>
                </td>
                <td className="mono" title={details.serial_number}>
                  {shortSerial(details.serial_number)}
                </td>
                <td className="cert-validity">
                  <StatusBadge tone={expiry.tone} title={expiry.description}>
                    {expiry.label}
                  </StatusBadge>
                  {validTo && !Number.isNaN(validTo.getTime()) && <span className="muted small block">until {validTo.toISOString().slice(0, 10)}</span>}
                </td>
                <td className="cert-uses">
                  <UsesList uses={record.uses} />
                </td>
                <td className="row-actions">
                  <IconButton
                    icon="trash"
                    className="danger"
                    label={`Remove certificate ${record.name}`}
                    tabIndex={-1}
                    onClick={(event) => {
                      event.stopPropagation();
                      onRemove(record.name);
                    }}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
