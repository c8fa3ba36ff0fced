import type { ViteUserConfig } from "vitest/config";
export declare const shared: ViteUserConfig;
//# sourceMappingURL=vitest.shared.d.ts.map