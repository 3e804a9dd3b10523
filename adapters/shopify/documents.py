"""Every GraphQL document Tandem sends to Shopify, in one place.

Each is validated against the pinned Admin API schema in the tests, with a check that no
deprecated field is used. Selections are kept small: Shopify charges by requested cost, and a
query may cost at most 1000 points.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    name: str
    text: str
    mutation: bool = False

    @property
    def safe_to_resend(self) -> bool:
        """A query, or a mutation under `@idempotent(key:)`: Shopify runs a resent one once.
        Any other mutation may run twice if sent again after an answer was lost."""
        return not self.mutation or "@idempotent(" in self.text


def _query(name: str, text: str) -> Operation:
    return Operation(name, text.strip())


def _mutation(name: str, text: str) -> Operation:
    return Operation(name, text.strip(), mutation=True)


LINES_PER_PAGE = 50

# The mode metafield is read on the variant and on its product (the variant's wins, in
# tandem.adapters.shopify.mapper); variants have no tags in the Admin API, products do.
_LINE_FIELDS = """
fragment TandemOrderLine on LineItem {
  id
  sku
  name
  quantity
  currentQuantity
  unfulfilledQuantity
  customAttributes { key value }
  originalUnitPriceSet { shopMoney { amount } }
  variant {
    id
    modeField: metafield(namespace: $modeNamespace, key: $modeKey) { value }
  }
  product {
    id
    tags
    modeField: metafield(namespace: $modeNamespace, key: $modeKey) { value }
  }
}
"""

# Besides the order, what the shop already says about its handling (tandem.connector.fences): the PO
# list any Tandem keeps on it (namespace and key as writeback.METAFIELD_NAMESPACE/_KEY) and
# its fulfillment orders' statuses, leaving out hidden ones (closed when moved or merged).
_ORDER_FIELDS = """
fragment TandemOrder on Order {
  id
  name
  createdAt
  updatedAt
  cancelledAt
  displayFinancialStatus
  currencyCode
  tags
  customer {
    id
    displayName
    tags
    defaultEmailAddress { emailAddress }
  }
  shippingAddress {
    name
    company
    address1
    address2
    city
    province
    provinceCode
    zip
    country
    countryCodeV2
    phone
  }
  lineItems(first: 50) {
    nodes { ...TandemOrderLine }
    pageInfo { hasNextPage endCursor }
  }
  purchaseOrders: metafield(namespace: "tandem", key: "purchase_orders") { value }
  fulfillmentOrders(first: 10, displayable: true) { nodes { status } }
}
"""

# The poll asks only which orders changed; their details come in batches by id.
ORDERS_UPDATED = _query(
    "OrdersUpdated",
    """
query OrdersUpdated($query: String!, $after: String) {
  orders(first: 250, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
""",
)

ORDERS_BY_ID = _query(
    "OrdersById",
    """
query OrdersById($ids: [ID!]!, $modeNamespace: String!, $modeKey: String!) {
  nodes(ids: $ids) {
    ...TandemOrder
  }
}
"""
    + _ORDER_FIELDS
    + _LINE_FIELDS,
)

ORDER_MORE_LINES = _query(
    "OrderMoreLines",
    """
query OrderMoreLines($id: ID!, $after: String!, $modeNamespace: String!, $modeKey: String!) {
  order(id: $id) {
    lineItems(first: 50, after: $after) {
      nodes { ...TandemOrderLine }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
    + _LINE_FIELDS,
)

TAGS_ADD = _mutation(
    "TagsAdd",
    """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id ... on Order { tags } }
    userErrors { field message }
  }
}
""",
)

TAGS_REMOVE = _mutation(
    "TagsRemove",
    """
mutation TagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
""",
)

METAFIELDS_SET = _mutation(
    "MetafieldsSet",
    """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key }
    userErrors { field message code }
  }
}
""",
)

# The definition of the order metafield Tandem keeps its PO list in (adapters.shopify.definitions):
# read by its identifier, created pinned, or pinned when a merchant had defined it unpinned.
METAFIELD_DEFINITION = _query(
    "MetafieldDefinition",
    """
query MetafieldDefinition($identifier: MetafieldDefinitionIdentifierInput!) {
  metafieldDefinition(identifier: $identifier) {
    id
    name
    pinnedPosition
    type { name }
  }
}
""",
)

METAFIELD_DEFINITION_CREATE = _mutation(
    "MetafieldDefinitionCreate",
    """
mutation MetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {
  metafieldDefinitionCreate(definition: $definition) {
    createdDefinition { id pinnedPosition }
    userErrors { field message code }
  }
}
""",
)

METAFIELD_DEFINITION_PIN = _mutation(
    "MetafieldDefinitionPin",
    """
mutation MetafieldDefinitionPin($identifier: MetafieldDefinitionIdentifierInput!) {
  metafieldDefinitionPin(identifier: $identifier) {
    pinnedDefinition { id pinnedPosition }
    userErrors { field message code }
  }
}
""",
)

# fulfillmentCreate takes the fulfillment orders of one location at a time, so each says where
# it is assigned (tandem.adapters.shopify.fulfillments).
FULFILLMENT_ORDERS = _query(
    "FulfillmentOrders",
    """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    name
    fulfillments(first: 50) {
      id
      trackingInfo(first: 10) { number }
      fulfillmentLineItems(first: 50) {
        nodes { quantity lineItem { id } }
      }
    }
    fulfillmentOrders(first: 20) {
      nodes {
        id
        status
        assignedLocation { name location { id } }
        lineItems(first: 100) {
          nodes {
            id
            remainingQuantity
            lineItem { id }
          }
        }
      }
    }
  }
}
""",
)

FULFILLMENT_CREATE = _mutation(
    "FulfillmentCreate",
    """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
""",
)

SHOP_DOMAIN = _query(
    "ShopDomain",
    """
query ShopDomain {
  shop { myshopifyDomain }
}
""",
)

# The cheapest read there is: Shopify answers it while the app is installed, and 401 once an
# uninstall has revoked the token (how an app/uninstalled delivery is confirmed).
APP_INSTALLED = _query(
    "AppInstalled",
    """
query AppInstalled {
  shop { id }
}
""",
)

# The shop's account and which Tandem database serves it (tandem.adapters.shopify.identity).
SHOP_IDENTITY = _query(
    "ShopIdentity",
    """
query ShopIdentity {
  shop {
    id
    myshopifyDomain
    servedBy: metafield(namespace: "tandem", key: "database") { value }
  }
}
""",
)

LOCATIONS = _query(
    "Locations",
    """
query Locations {
  locations(first: 50) {
    nodes { id name isActive }
  }
}
""",
)

INVENTORY_ITEMS_BY_SKU = _query(
    "InventoryItemsBySku",
    """
query InventoryItemsBySku($query: String!, $after: String, $locationId: ID!) {
  inventoryItems(first: 100, after: $after, query: $query) {
    nodes {
      id
      sku
      variants(first: 1) { nodes { id inventoryPolicy product { id } } }
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""",
)

INVENTORY_SET_QUANTITIES = _mutation(
    "InventorySetQuantities",
    """
mutation InventorySetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
""",
)

VARIANTS_CONTINUE_SELLING = _mutation(
    "VariantsContinueSelling",
    """
mutation VariantsContinueSelling($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id inventoryPolicy }
    userErrors { field message code }
  }
}
""",
)

WEBHOOK_SUBSCRIPTIONS = _query(
    "WebhookSubscriptions",
    """
query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}
""",
)

WEBHOOK_SUBSCRIPTION_CREATE = _mutation(
    "WebhookSubscriptionCreate",
    """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
""",
)

ALL = [
    ORDERS_UPDATED,
    ORDERS_BY_ID,
    ORDER_MORE_LINES,
    TAGS_ADD,
    TAGS_REMOVE,
    METAFIELDS_SET,
    METAFIELD_DEFINITION,
    METAFIELD_DEFINITION_CREATE,
    METAFIELD_DEFINITION_PIN,
    FULFILLMENT_ORDERS,
    FULFILLMENT_CREATE,
    SHOP_DOMAIN,
    APP_INSTALLED,
    SHOP_IDENTITY,
    LOCATIONS,
    INVENTORY_ITEMS_BY_SKU,
    INVENTORY_SET_QUANTITIES,
    VARIANTS_CONTINUE_SELLING,
    WEBHOOK_SUBSCRIPTIONS,
    WEBHOOK_SUBSCRIPTION_CREATE,
]
