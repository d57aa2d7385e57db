"""pytorch/examples mnist/main.py with a narrower Net (4 and 8 channels, 32 hidden units).

Unchanged PyTorch code except that the data arrive as tensors (no torchvision), the
dropout probabilities are arguments and train/test return their numbers instead of
printing them.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, p1=0.25, p2=0.5):
        super(Net, self).__init__()  # noqa: UP008 (the example's spelling)
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(p1)
        self.dropout2 = nn.Dropout(p2)
        self.fc1 = nn.Linear(1152, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer, epoch):
    model.train()
    losses = []
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        # the example prints these every log_interval batches
        losses.append([epoch, batch_idx * len(data), loss.item()])
    return losses


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    return test_loss, correct


def main(
    train_data, test_data, epochs=2, batch_size=64, p=(0.25, 0.5), checkpoint=None, save_model=None
):
    """`train_data`, `test_data`: (images (N, 1, 28, 28), int64 labels (N,)). Returns the
    training losses, test losses, correct counts and learning rates per epoch.
    `save_model`: a path to save the trained weights to, as the example's --save-model."""
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")

    train_loader = DataLoader(TensorDataset(*train_data), batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(TensorDataset(*test_data), batch_size=1000, shuffle=False)

    model = Net(*p).to(device)
    if checkpoint is not None:
        model.load_state_dict(checkpoint)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)

    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    history = {"train": [], "test_loss": [], "correct": [], "lr": []}
    for epoch in range(1, epochs + 1):
        history["train"] += train(model, device, train_loader, optimizer, epoch)
        test_loss, correct = test(model, device, test_loader)
        history["test_loss"].append(test_loss)
        history["correct"].append(correct)
        history["lr"].append(optimizer.param_groups[0]["lr"])
        scheduler.step()

    if save_model is not None:
        torch.save(model.state_dict(), save_model)
    return history
