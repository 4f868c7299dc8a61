import { describe, expect, it } from 'vitest';
import { readmeExample, usesAwait, wrapTopLevelAwait } from './readme-example';

const fence = '```';

describe('readmeExample', () => {
  it('reads the install line and the first ts block', () => {
    const readme = `# @convkit/x\n\n${fence}sh\nnpm i @convkit/x @convkit/tensor\n${fence}\n\ntext\n\n${fence}json\n{}\n${fence}\n\n${fence}ts\nimport { a } from '@convkit/x';\na();\n${fence}\n\n${fence}ts\nsecond();\n${fence}\n`;
    expect(readmeExample(readme, '@convkit/x')).toEqual({
      install: ['@convkit/x', '@convkit/tensor'],
      example: "import { a } from '@convkit/x';\na();\n",
    });
  });

  it('joins every npm i line of the first block, without comments, flags or repeats', () => {
    const readme = `# x\n${fence}sh\nnpm i @convkit/gpu            # browsers\nnpm install -S @convkit/gpu webgpu # Node\n${fence}\n${fence}js\nrun();\n${fence}\n`;
    expect(readmeExample(readme, '@convkit/gpu').install).toEqual(['@convkit/gpu', 'webgpu']);
  });

  it('refuses a README whose first block is not the install line', () => {
    const readme = `# x\n${fence}ts\ncode();\n${fence}\n${fence}sh\nnpm i @convkit/x\n${fence}\n`;
    expect(() => readmeExample(readme, '@convkit/x')).toThrow(/must start with its install line/);
    expect(() => readmeExample('# x\nno code at all\n', '@convkit/x')).toThrow(/must start with/);
    expect(() => readmeExample(`# x\n${fence}sh\npnpm build\n${fence}\n`, '@convkit/x')).toThrow(
      /must start with/,
    );
  });

  it('refuses an install line that does not install the package itself', () => {
    const readme = `# x\n${fence}sh\nnpm i @convkit/tensor\n${fence}\n${fence}ts\n1;\n${fence}\n`;
    expect(() => readmeExample(readme, '@convkit/x')).toThrow(/does not install @convkit\/x/);
  });

  it('refuses a README without an example', () => {
    const readme = `# x\n${fence}sh\nnpm i @convkit/x\n${fence}\n${fence}json\n{}\n${fence}\n`;
    expect(() => readmeExample(readme, '@convkit/x')).toThrow(/no ```ts example/);
  });
});

describe('wrapTopLevelAwait', () => {
  it('keeps the imports on top and runs the rest in an async function', () => {
    const source =
      "import { a } from 'a';\nimport {\n  b,\n  c,\n} from 'bc';\nconst x = await a();\nb(x);\n";
    const wrapped = wrapTopLevelAwait(source);
    expect(
      wrapped.startsWith("import { a } from 'a';\nimport {\n  b,\n  c,\n} from 'bc';\nvoid (async () => {"),
    ).toBe(true);
    expect(wrapped).toContain('const x = await a();\nb(x);');
    expect(wrapped.trimEnd().endsWith('})();')).toBe(true);
  });
});

describe('usesAwait', () => {
  it('sees an await anywhere and nothing else', () => {
    expect(usesAwait('const gpu = await createGpuContext();')).toBe(true);
    expect(usesAwait('const awaited = 1; // awaiting')).toBe(false);
  });
});
