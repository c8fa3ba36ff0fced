import TwoslashFloatingVue from "@shikijs/vitepress-twoslash/client"
import "@shikijs/vitepress-twoslash/style.css"
import type { Theme } from "vitepress"
import DefaultTheme from "vitepress/theme"
import { h } from "vue"
import ApiLinks from "./ApiLinks.vue"
import "./custom.css"
import HomeHeroCode from "./HomeHeroCode.vue"
import Picture from "./Picture.vue"

export default {
  extends: DefaultTheme,
  Layout: () =>
    h(DefaultTheme.Layout, null, {
      "doc-before": () => h(ApiLinks),
      "home-hero-image": () => h(HomeHeroCode)
    }),
  enhanceApp({ app }) {
    app.use(TwoslashFloatingVue)
    app.component("Picture", Picture)
  }
} satisfies Theme
