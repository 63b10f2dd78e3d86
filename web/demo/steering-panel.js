// The steering panel: the active interventions, each editable in place (code, positions, slot
// mode, strength) and removable. Every edit calls onChange(newList); the page then re-runs.
import { h } from './dom.js';
import { cliFlag, formatPositions, parsePositions } from './steer-spec.js';

export function renderSteering(root, list, { onChange, onError }) {
  const update = (i, patch) => onChange(list.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const items = list.map((s, i) => {
    const target = `L${s.layer} ${s.site} ${s.group < 0 ? 'all groups' : 'g' + s.group}`;
    const remove = h('button', { class: 'small x', title: 'remove', onclick: () => onChange(list.filter((_, j) => j !== i)) }, '✕');
    const positions = s.kind === 'bypass' ? null : h('label', {}, '@ ', h('input', {
      class: 'pos mono', value: formatPositions(s.positions), title: 'all, generated, or P,A-B (inclusive)',
      onchange: (e) => {
        try {
          update(i, { positions: parsePositions(e.target.value.trim()) });
        } catch (err) {
          onError(err.message);
        }
      },
    }));
    const rows = [h('div', { class: 'row' }, h('span', { class: 'kind' }, s.kind), h('span', {}, target), remove)];
    if (s.kind === 'force') {
      const modeValue = s.mode === 'slot' ? 'slot' : s.mode;
      rows.push(h('div', { class: 'row' },
        h('label', {}, 'code ', h('input', { type: 'number', min: 0, value: s.code, class: 'code', onchange: (e) => update(i, { code: Number(e.target.value) }) })),
        positions),
      h('div', { class: 'row' },
        h('select', { title: 'slot mode', onchange: (e) => update(i, { mode: e.target.value }) },
          ['slot', 'all', 'append'].map((m) => h('option', { value: m, selected: m === modeValue }, m === 'slot' ? 'one slot' : m === 'all' ? 'all slots' : 'append'))),
        s.mode === 'slot' ? h('input', { type: 'number', value: s.slot, title: 'slot (-1 = the last)', style: { width: '4em' }, onchange: (e) => update(i, { slot: Number(e.target.value) }) }) : null,
        h('label', {}, 'strength ',
        h('input', {
          type: 'range', min: -2, max: 4, step: 0.1, value: s.strength, title: '1 = plain forcing; the forced code\'s vector is scaled',
          oninput: (e) => (e.target.parentElement.querySelector('.mono').textContent = ' ×' + e.target.value),
          onchange: (e) => update(i, { strength: Number(e.target.value) }),
        }),
        h('span', { class: 'mono' }, ' ×' + s.strength))));
    } else if (s.kind === 'disable') {
      rows.push(h('div', { class: 'row' },
        h('label', {}, 'codes ', h('input', {
          class: 'mono', style: { width: '8em' }, value: [...s.codes, ...(s.topN ? [`top${s.topN}`] : [])].join(','),
          onchange: (e) => {
            const codes = [], parts = e.target.value.split(',').map((x) => x.trim()).filter(Boolean);
            let topN = 0;
            for (const x of parts) {
              const t = /^top(\d+)$/.exec(x);
              if (t) topN = Number(t[1]);
              else if (/^\d+$/.test(x)) codes.push(Number(x));
              else return onError(`disable: bad code '${x}'`);
            }
            update(i, { codes, topN });
          },
        })),
        positions,
        h('select', { onchange: (e) => update(i, { mode: e.target.value }) },
          h('option', { value: 'keep', selected: s.mode === 'keep' }, 'keep k (re-select)'),
          h('option', { value: 'zero', selected: s.mode === 'zero' }, 'zero the slot'))));
    }
    return h('div', { class: `steer-item ${s.kind}`, dataset: { spec: cliFlag(s) } }, rows);
  });
  root.replaceChildren(...(items.length ? items : [h('p', { class: 'muted small' }, 'No interventions. Click a cell and use the inspector\'s buttons, or add one below.')]));
}
