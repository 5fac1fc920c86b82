// Lint: typescript-eslint's recommended type-aware rules, plus the layer rules of DESIGN.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const layer = (files, forbidden) => ({
  files,
  rules: {
    "no-restricted-imports": ["error", {
      patterns: forbidden.map((dir) => ({ group: [`**/${dir}/*`, `**/${dir}`], message: `DESIGN.md: this layer must not import ${dir}/` })),
    }],
  },
});

/** lubes-server's own modules and folders, as a relative import from server/dashboard would name them. */
const SERVER_MODULES = [
  ...["app", "bootstrap", "config", "context", "errors", "main", "openapi", "workers"].map((name) => `**/../${name}`),
  ...["databases", "db", "functions", "http", "routes", "services", "store"].map((dir) => `**/../${dir}/*`),
];

export default tseslint.config(
  // Examples are users' programs with their own tsconfig.json: test/unit/readme-program.test.ts type-checks them.
  // The typed client is compiled against types its test generates: test/server/openapi-client.test.ts checks it.
  { ignores: ["dist/**", "server/dist/**", "node_modules/**", "examples/**", ".lubes/**", "test/server/openapi-client/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ["*.mjs", "test/support/*.cjs", "test/engine/*.cjs"] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  { files: ["**/*.mjs", "**/*.cjs"], ...tseslint.configs.disableTypeChecked },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", module: "writable", __dirname: "readonly", Buffer: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  // Tests (and benchmarks, which use the test harness) read JSON answers as loosely typed values on purpose.
  {
    files: ["test/**", "bench/**"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
  layer(["contract/**"], ["server", "provider", "sdk"]),
  layer(["server/**"], ["provider", "sdk"]),
  layer(["provider/**"], ["server", "sdk"]),
  // The dashboard is a client of the API like any other: the contract's types, never its schemas (they would bring
  // zod into the page) or the server's code.
  {
    files: ["server/dashboard/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [
          { group: ["**/contract/*"], allowTypeImports: true, message: "the dashboard takes only types from the contract" },
          { group: SERVER_MODULES, message: "the dashboard must not import lubes-server's own modules" },
        ],
      }],
    },
  },
);
