import effect from "@effect/eslint-plugin"
import js from "@eslint/js"
import tseslint from "typescript-eslint"

const deepMessage = "chai's deep equality cannot tell Option.none() from Option.some(x), also inside an Exit, an " +
  "array or an object: use expect(actual).toStrictEqual(expected) (.toMatchObject for a subset), which " +
  "vitest.setup.ts makes Effect-aware (Equal.equals)"

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/build/**",
      "**/node_modules/**",
      "**/.vitepress/cache/**",
      "**/.vitepress/dist/**",
      "docs/api/**",
      "bench/results/**",
      "**/*.d.ts"
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...effect.configs.dprint,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setImmediate: "readonly",
        URL: "readonly",
        performance: "readonly",
        AbortController: "readonly",
        globalThis: "readonly",
        fetch: "readonly"
      }
    },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "prefer-rest-params": "off"
    }
  },
  {
    // the documentation's examples, and the sources the guides show in part, are read in a ~690 px
    // column: 80 columns, no horizontal scroll
    files: [
      "docs/examples/**/*.ts",
      "apps/price-fetcher/src/{app,main,writer,fetcher}.ts",
      "packages/platform-node/test/fixtures/drain-pattern.mjs"
    ],
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 80,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }]
    }
  },
  {
    // chai's deep equality (assert.deepStrictEqual, assert.deepEqual, assert.deepInclude, …) cannot tell
    // Option.none() from Option.some(1), also inside an Exit, an array or an object: tests compare with
    // expect(actual).toStrictEqual(expected), which vitest.setup.ts makes Effect-aware (Equal.equals)
    files: ["**/test/**/*.{ts,mts,mjs,js}", "**/*.test.{ts,mts,mjs,js}"],
    rules: {
      "no-restricted-syntax": ["error", {
        // assert.deepStrictEqual, assert.deepEqual, assert.notDeepStrictEqual, assert.deepInclude,
        // assert.sameDeepMembers…, node:assert's too (it tells none from some, but rejects equal Causes)
        selector: "CallExpression[callee.object.name=/assert/i][callee.property.name=/^(not)?[dD]eep|Deep/]",
        message: deepMessage
      }, {
        // chai's expect(x).to.deep.equal(y) / .eql(y)
        selector: "MemberExpression[property.name=/^(deep|eql)$/]",
        message: deepMessage
      }]
    }
  },
  {
    // core's internal/ imports public modules for types only (CONVENTIONS, DESIGN): what it needs at
    // run time (error classes, option rules, constructors) lives in internal/, and the public modules
    // bind it — a runtime import up to a public module means the seam is in the wrong place
    files: ["packages/core/src/internal/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [{
          regex: "^\\.\\./[A-Z]",
          allowTypeImports: true,
          message: "internal/ imports public modules with `import type` only: import the runtime piece from " +
            "internal/ (move it there and have the public module re-export it)"
        }]
      }]
    }
  },
  {
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "no-console": "error",
      "@effect/no-import-from-barrel-package": ["error", { packageNames: ["effect", "@effect/platform"] }]
    }
  }
)
