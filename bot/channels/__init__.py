"""Channel adapters: translate between a platform and our neutral messages at the edge.

console.py and render.py are shared; telegram/ and wechat/ hold one platform each. Channels may import
office/, delivery/, core/, storage/ and knowledge/; never cli/.
"""
