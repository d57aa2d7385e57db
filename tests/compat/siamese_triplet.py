"""Metric learning as in adambielski/siamese-triplet and the Siamese-network tutorials: an
embedding net (Conv2d/PReLU/MaxPool2d/Linear), a triplet Dataset, TripletMarginLoss, and a
hand-written contrastive loss on the anchor-positive and anchor-negative pairs.

Unchanged PyTorch code except that the images arrive as tensors (no torchvision) and the
losses are returned instead of printed.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, Dataset


class EmbeddingNet(nn.Module):
    def __init__(self):
        super(EmbeddingNet, self).__init__()  # noqa: UP008 (the repository's spelling)
        self.convnet = nn.Sequential(
            nn.Conv2d(1, 4, 5),
            nn.PReLU(),
            nn.MaxPool2d(2, stride=2),
            nn.Conv2d(4, 8, 5),
            nn.PReLU(),
            nn.MaxPool2d(2, stride=2),
        )
        self.fc = nn.Sequential(
            nn.Linear(8 * 4 * 4, 32), nn.PReLU(), nn.Linear(32, 32), nn.PReLU(), nn.Linear(32, 2)
        )

    def forward(self, x):
        output = self.convnet(x)
        output = output.view(output.size()[0], -1)
        output = self.fc(output)
        return output

    def get_embedding(self, x):
        return self.forward(x)


class TripletNet(nn.Module):
    def __init__(self, embedding_net):
        super(TripletNet, self).__init__()  # noqa: UP008
        self.embedding_net = embedding_net

    def forward(self, x1, x2, x3):
        output1 = self.embedding_net(x1)
        output2 = self.embedding_net(x2)
        output3 = self.embedding_net(x3)
        return output1, output2, output3

    def get_embedding(self, x):
        return self.embedding_net(x)


class ContrastiveLoss(nn.Module):
    """Label 0 for a similar pair, 1 for a dissimilar one (Hadsell et al. 2006)."""

    def __init__(self, margin=2.0):
        super(ContrastiveLoss, self).__init__()  # noqa: UP008
        self.margin = margin

    def forward(self, output1, output2, label):
        euclidean_distance = F.pairwise_distance(output1, output2, keepdim=True)
        loss_contrastive = torch.mean(
            (1 - label) * torch.pow(euclidean_distance, 2)
            + label * torch.clamp(self.margin - euclidean_distance, min=0.0).pow(2)
        )
        return loss_contrastive


class TripletMNIST(Dataset):
    """Fixed triplets (anchor, positive, negative), drawn once as the repository does for
    its test set."""

    def __init__(self, data, targets):
        self.data = data
        self.targets = targets
        labels = self.targets.numpy()
        labels_set = set(labels.tolist())
        label_to_indices = {label: np.where(labels == label)[0] for label in labels_set}
        random_state = np.random.RandomState(29)
        self.triplets = [
            [
                i,
                random_state.choice(label_to_indices[labels[i].item()]),
                random_state.choice(
                    label_to_indices[
                        np.random.RandomState(i).choice(list(labels_set - {labels[i].item()}))
                    ]
                ),
            ]
            for i in range(len(self.data))
        ]

    def __getitem__(self, index):
        img1 = self.data[self.triplets[index][0]]
        img2 = self.data[self.triplets[index][1]]
        img3 = self.data[self.triplets[index][2]]
        return (img1, img2, img3), []

    def __len__(self):
        return len(self.data)


def make_model():
    return TripletNet(EmbeddingNet())


def main(data, targets, n_epochs=2, batch_size=16, checkpoint=None, double=False):
    """`data` (N, 1, 28, 28), `targets` (N,) int64. Returns per-step
    [triplet loss, contrastive loss, learning rate]. `double`: train in float64 (`data`
    must be float64 too)."""
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    triplet_train_loader = DataLoader(
        TripletMNIST(data, targets), batch_size=batch_size, shuffle=False
    )
    model = make_model().to(device)
    if checkpoint is not None:
        model.load_state_dict(checkpoint)
    if double:
        model = model.double()
    triplet_loss = nn.TripletMarginLoss(margin=1.0, p=2)
    contrastive_loss = ContrastiveLoss(margin=2.0)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = lr_scheduler.StepLR(optimizer, 1, gamma=0.1, last_epoch=-1)

    log = []
    for _epoch in range(n_epochs):
        model.train()
        for data, _ in triplet_train_loader:
            data = tuple(d.to(device) for d in data)
            optimizer.zero_grad()
            anchor, positive, negative = model(*data)
            loss_t = triplet_loss(anchor, positive, negative)
            same = torch.zeros(anchor.size(0), 1, dtype=anchor.dtype, device=device)
            loss_c = contrastive_loss(anchor, positive, same) + contrastive_loss(
                anchor, negative, same + 1
            )
            loss = loss_t + 0.5 * loss_c
            loss.backward()
            optimizer.step()
            log.append([loss_t.item(), loss_c.item(), scheduler.get_last_lr()[0]])
        scheduler.step()
    return log
