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

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**/node_modules/**", ".lubes/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ["*.mjs"] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  { files: ["**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  layer(["contract/**"], ["server", "provider", "sdk"]),
  layer(["server/**"], ["provider", "sdk"]),
  layer(["provider/**"], ["server", "sdk"]),
);
