import TwoslashFloatingVue from "@shikijs/vitepress-twoslash/client"
import "@shikijs/vitepress-twoslash/style.css"
import type { Theme } from "vitepress"
import DefaultTheme from "vitepress/theme"
import { h, nextTick } from "vue"
import ApiLinks from "./ApiLinks.vue"
import "./custom.css"
import HomeHeroCode from "./HomeHeroCode.vue"
import Picture from "./Picture.vue"
import { restoreCodeTab, syncCodeTabs } from "./sync-tabs.js"

export default {
  extends: DefaultTheme,
  Layout: () =>
    h(DefaultTheme.Layout, null, {
      "doc-before": () => h(ApiLinks),
      "home-hero-image": () => h(HomeHeroCode)
    }),
  enhanceApp({ app, router }) {
    app.use(TwoslashFloatingVue)
    app.component("Picture", Picture)
    if (typeof window !== "undefined") {
      syncCodeTabs()
      const previous = router.onAfterRouteChange
      router.onAfterRouteChange = (to) => {
        previous?.(to)
        nextTick(restoreCodeTab)
      }
      window.addEventListener("load", () => restoreCodeTab())
    }
  }
} satisfies Theme
