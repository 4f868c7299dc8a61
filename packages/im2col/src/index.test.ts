/**
 * Every public function of the package, called through the index: a valid call works, an
 * unknown option key and a main input of the wrong kind (not a Tensor, or not a geometry
 * for the low-level functions) are ArgumentErrors. A new export without a row here fails.
 */
import { ArgumentError, convGeometry, createRng } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import * as api from './index';

const rng = createRng(11);
const x = rng.uniformTensor([1, 2, 4, 4]);
const columns = rng.uniformTensor([1, 8, 9]);
const weight = rng.uniformTensor([3, 2, 2, 2]);
const geometry = convGeometry({ inChannels: 2, outChannels: 3, inputSpatial: [4, 4], kernelSize: 2 });
const lowering = { geometry, input: new Float32Array(32), columns: new Float32Array(72) };
/** A value of every wrong kind an op might be handed instead of its Tensor or geometry. */
const notInputs: unknown[] = [undefined, null, 3, 'x', [1, 2], new Float32Array(4), { shape: [1, 2, 4, 4] }];

type Call = (input: unknown, extra?: Record<string, unknown>) => unknown;
interface Row {
  /** Called with the valid main input and, optionally, extra option keys. */
  call: Call;
  /** The name of the main input in the error message. */
  input: string;
  valid: unknown;
  /** Why the function takes no options, where it takes none. */
  noOptions?: string;
}

const rows: Record<string, Row> = {
  im2col: {
    call: (input, extra) => api.im2col(input as typeof x, { kernelSize: 2, ...extra }),
    input: 'input',
    valid: x,
  },
  col2im: {
    call: (input, extra) => api.col2im(input as typeof x, { outputSize: 4, kernelSize: 2, ...extra }),
    input: 'columns',
    valid: columns,
  },
  convMatrix: {
    call: (input, extra) => api.convMatrix(input as typeof x, [4, 4], { ...extra }),
    input: 'weight',
    valid: weight,
  },
  convTransposeMatrix: {
    call: (input, extra) => api.convTransposeMatrix(input as typeof x, [4, 4], { ...extra }),
    input: 'weight',
    valid: rng.uniformTensor([2, 3, 2, 2]),
  },
  im2colInto: {
    call: (input, extra) => api.im2colInto({ ...lowering, geometry: input as typeof geometry, ...extra }),
    input: 'geometry',
    valid: geometry,
  },
  col2imAccumulate: {
    call: (input, extra) =>
      api.col2imAccumulate({ ...lowering, geometry: input as typeof geometry, ...extra }),
    input: 'geometry',
    valid: geometry,
  },
  columnTiles: {
    call: (input, extra) => [...api.columnTiles(input as typeof geometry, { ...extra })],
    input: 'geometry',
    valid: geometry,
  },
  planColumnTiles: {
    call: (input, extra) => api.planColumnTiles(input as typeof geometry, { ...extra }),
    input: 'geometry',
    valid: geometry,
  },
  sourceIndexTables: {
    call: (input) => api.sourceIndexTables(input as typeof geometry),
    input: 'geometry',
    valid: geometry,
    noOptions: 'takes a geometry and nothing else',
  },
};

describe('every public function', () => {
  it('has a row here', () => {
    const functions = Object.entries(api)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(functions.sort()).toEqual(Object.keys(rows).sort());
  });

  for (const [name, row] of Object.entries(rows)) {
    describe(name, () => {
      it('works on a valid call', () => {
        expect(() => row.call(row.valid)).not.toThrow();
      });
      if (row.noOptions === undefined) {
        it('rejects an unknown option key with an ArgumentError', () => {
          const call = () => row.call(row.valid, { paddingMode: undefined, padding_mode: 'reflect' });
          expect(call).toThrow(ArgumentError);
          // planColumnTiles reports as columnTiles, whose plan it is.
          expect(call).toThrow(new RegExp(`^(${name}|columnTiles): unknown option 'padding_mode'`));
        });
      }
      it(`rejects a ${row.input} of the wrong kind with an ArgumentError`, () => {
        for (const value of notInputs) {
          expect(() => row.call(value), String(value)).toThrow(ArgumentError);
          expect(() => row.call(value), String(value)).toThrow(new RegExp(`: ${row.input} must be a `));
        }
      });
    });
  }
});
