/**
 * How the table is searched: all records, by value (with * wildcards), or by conditions (a
 * small builder: attribute, comparator, value; match all or any). Edits are drafts until
 * "Search" applies them, which goes back to the first page.
 */
import { useState, type FormEvent } from 'react';
import { COMPARATORS, type Comparator } from '../../api/operations/types.ts';
import { IconButton } from '../../components/IconButton.tsx';
import type { ConditionDraft, QueryState, SearchMode } from './query-state.ts';

/** The part of the query state the search bar edits; sort and page size stay as they are. */
export type SearchFields = Pick<QueryState, 'mode' | 'valueAttribute' | 'valueText' | 'operator' | 'conditions'>;

interface SearchBarProps {
  state: QueryState;
  attributes: string[];
  onApply: (search: SearchFields) => void;
}

function searchFields({ mode, valueAttribute, valueText, operator, conditions }: SearchFields): SearchFields {
  return { mode, valueAttribute, valueText, operator, conditions };
}

const MODES: Array<[SearchMode, string]> = [
  ['all', 'All records'],
  ['value', 'By value'],
  ['conditions', 'By conditions'],
];

let nextDraftId = 1;

export function SearchBar({ state, attributes, onApply }: SearchBarProps) {
  const [draft, setDraft] = useState(() => searchFields(state));
  const set = (patch: Partial<SearchFields>) => setDraft((d) => ({ ...d, ...patch }));

  function setMode(mode: SearchMode) {
    const next = { ...draft, mode };
    if (mode === 'conditions' && next.conditions.length === 0) {
      next.conditions = [{ id: nextDraftId++, attribute: attributes[0] ?? '', comparator: 'equals', value: '', value2: '' }];
    }
    setDraft(next);
    if (mode === 'all') onApply(next);
  }

  function updateCondition(id: number, patch: Partial<ConditionDraft>) {
    set({ conditions: draft.conditions.map((c) => (c.id === id ? { ...c, ...patch } : c)) });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft);
  }

  return (
    <form className="search-bar" onSubmit={submit} aria-label="Search records">
      <div className="segmented" role="radiogroup" aria-label="Search mode">
        {MODES.map(([mode, label]) => (
          <label key={mode} className={draft.mode === mode ? 'active' : ''}>
            <input type="radio" name="search-mode" value={mode} checked={draft.mode === mode} onChange={() => setMode(mode)} />
            {label}
          </label>
        ))}
      </div>
      {draft.mode === 'value' && (
        <div className="row wrap">
          <select aria-label="Attribute" value={draft.valueAttribute} onChange={(e) => set({ valueAttribute: e.target.value })}>
            {attributes.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
          <input aria-label="Value" className="grow" value={draft.valueText} onChange={(e) => set({ valueText: e.target.value })} placeholder="value, * as wildcard: Fi*" />
          <button type="submit">Search</button>
        </div>
      )}
      {draft.mode === 'conditions' && (
        <div className="conditions">
          {draft.conditions.map((condition, index) => (
            <div key={condition.id} className="row wrap condition" data-testid="condition-row">
              <select aria-label={`Attribute of condition ${index + 1}`} value={condition.attribute} onChange={(e) => updateCondition(condition.id, { attribute: e.target.value })}>
                {attributes.map((a) => (
                  <option key={a}>{a}</option>
                ))}
              </select>
              <select aria-label={`Comparator of condition ${index + 1}`} value={condition.comparator} onChange={(e) => updateCondition(condition.id, { comparator: e.target.value as Comparator })}>
                {COMPARATORS.map((c) => (
                  <option key={c} value={c}>
                    {c.replaceAll('_', ' ')}
                  </option>
                ))}
              </select>
              <input aria-label={`Value of condition ${index + 1}`} className="grow" value={condition.value} onChange={(e) => updateCondition(condition.id, { value: e.target.value })} placeholder={condition.comparator === 'between' ? 'from' : 'value'} />
              {condition.comparator === 'between' && (
                <input aria-label={`Upper value of condition ${index + 1}`} className="grow" value={condition.value2} onChange={(e) => updateCondition(condition.id, { value2: e.target.value })} placeholder="to" />
              )}
              <IconButton icon="trash" label={`Remove condition ${index + 1}`} onClick={() => set({ conditions: draft.conditions.filter((c) => c.id !== condition.id) })} />
            </div>
          ))}
          <div className="row wrap">
            <button type="button" className="button-secondary" onClick={() => set({ conditions: [...draft.conditions, { id: nextDraftId++, attribute: attributes[0] ?? '', comparator: 'equals', value: '', value2: '' }] })}>
              Add condition
            </button>
            <label className="inline">
              Match
              <select value={draft.operator} onChange={(e) => set({ operator: e.target.value as 'and' | 'or' })}>
                <option value="and">all conditions</option>
                <option value="or">any condition</option>
              </select>
            </label>
            <span className="field-hint grow">42, true, null match as JSON; "42" in quotes as text.</span>
            <button type="submit">Search</button>
          </div>
        </div>
      )}
    </form>
  );
}
