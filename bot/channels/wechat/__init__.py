"""WeChat Official Account: the signed callback, the API client and token cache, the sender, the menu and the runtime."""
