import CardLayout

// The CardLayout module names some types as DESFire does (ApplicationID, AccessRights,
// CommunicationMode), and its `CardLayout` struct hides the module name, so `CardLayout.X`
// cannot qualify them. This file sees CardLayout alone and gives its types unambiguous names for
// the rest of the module.

/// The layout's application identifier (most significant byte first).
typealias LayoutApplicationID = ApplicationID
/// The layout's access rights of a file.
typealias LayoutAccessRights = AccessRights
/// One access right in the layout.
typealias LayoutAccessRight = AccessRight
/// The layout's communication mode of a file.
typealias LayoutCommunicationMode = CommunicationMode
